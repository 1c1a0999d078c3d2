/*
Package web holds the dashboard: plain HTML, CSS and JavaScript modules, embedded in the binary so
that it works with no internet (no CDN, no external fonts or scripts) and needs no build step.

The dashboard reads only the public HTTP API: the goal tree, indicators, commitments and a goal's
history under /v1/tenants/{tenant}, every read with as_of and known_at, and the live stream
/v1/tenants/{tenant}/live, after whose updates it reads again with min_seq. It runs under a strict
Content-Security-Policy (default-src 'self'): no inline script, no inline style, no eval.

Only package api imports web; [Handler] serves the page at / and its files under /assets/.
*/
package web
