// A single-page app: everything renders in the browser from the local replica.
export const ssr = false
export const prerender = false
