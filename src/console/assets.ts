// The console's only stylesheet, served by the app itself (no CDN, no build step).
// Colours keep WCAG AA contrast on white (axe's color-contrast rule).
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#fff}
a{color:#1d4ed8}
header.top{display:flex;gap:1.5rem;align-items:center;padding:.75rem 1.5rem;border-bottom:1px solid #d1d5db;background:#f9fafb;flex-wrap:wrap}
header.top .brand{font-weight:700;color:#111827;text-decoration:none}
header.top nav ul{display:flex;gap:.25rem 1rem;list-style:none;margin:0;padding:0;flex-wrap:wrap}
header.top nav a[aria-current=page]{font-weight:700;color:#111827}
header.top nav .unread{font-weight:700;color:#b91c1c;white-space:nowrap}
ol.inbox{list-style:none;padding:0;margin:0}
ol.inbox>li{border-bottom:1px solid #e5e7eb;padding:.75rem 0;overflow-wrap:anywhere}
ol.inbox>li.new{border-left:4px solid #1d4ed8;padding-left:.75rem}
ol.inbox h2{font-size:1rem;margin:0}
ol.inbox .body{white-space:pre-line;margin:.25rem 0}
header.top .who{margin-left:auto;display:flex;gap:.75rem;align-items:center;color:#374151;flex-wrap:wrap;min-width:0}
main{max-width:72rem;margin:0 auto;padding:1.5rem;overflow-wrap:anywhere}
footer{max-width:72rem;margin:2rem auto;padding:1rem 1.5rem;border-top:1px solid #e5e7eb;color:#4b5563;font-size:.9rem}
footer a{margin-right:1rem}
h1{font-size:1.6rem;margin:.25rem 0 1rem}
h2{font-size:1.2rem;margin:1.75rem 0 .5rem}
section.card{border:1px solid #d1d5db;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
section.card>h2:first-child{margin-top:0}
.muted{color:#4b5563}
.big{font-size:1.4rem;font-weight:700}
table{border-collapse:collapse;width:100%}
.table-box{overflow-x:auto;max-width:100%}
img,svg,input,select,textarea{max-width:100%}
pre,code{white-space:pre-wrap;overflow-wrap:anywhere}
/* Cells break at spaces only, and an amount never splits: a table too wide scrolls in its box instead. */
td,th{overflow-wrap:normal;word-break:normal}
td.num,th.num{white-space:nowrap}
/* Long values listed in a cell (the audit log's before and after) may break anywhere. */
td li,td code{overflow-wrap:anywhere}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{font-weight:600;background:#f3f4f6}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
button,.button{font:inherit;padding:.35rem .8rem;border-radius:6px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:#1d4ed8}
button.danger{background:#b91c1c;border-color:#b91c1c}
input,select,textarea{font:inherit;padding:.3rem .45rem;border:1px solid #6b7280;border-radius:4px;color:#111827;background:#fff}
input[aria-invalid=true]{border-color:#b91c1c;outline:2px solid #b91c1c}
label{font-weight:600}
form.inline{display:inline-flex;gap:.4rem;align-items:center;flex-wrap:wrap;margin:.2rem .4rem .2rem 0}
.field{margin:.5rem 0}
.error{color:#b91c1c;font-weight:600;margin:.25rem 0}
.notice{border-left:4px solid #15803d;background:#f0fdf4;padding:.6rem .9rem;margin:1rem 0;color:#14532d}
.alert{border-left:4px solid #b91c1c;background:#fef2f2;padding:.6rem .9rem;margin:1rem 0;color:#7f1d1d}
.error-summary{border:3px solid #b91c1c;border-radius:6px;padding:.6rem 1rem;margin:1rem 0;background:#fff}
.error-summary:focus{outline:3px solid #f59e0b;outline-offset:2px}
.error-summary h2{margin:0 0 .3rem;font-size:1.1rem;color:#7f1d1d}
.error-summary ul{margin:0;padding-left:1.2rem}
.error-summary a{color:#b91c1c;font-weight:600}
.confirm{border:2px solid #b45309;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0;background:#fffbeb}
.confirm .actions{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap;margin-top:1rem}
.bulk{display:flex;gap:.5rem 1rem;flex-wrap:wrap;align-items:center;margin:.75rem 0}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.85rem;border:1px solid #6b7280;color:#374151}
.badge.paused{border-color:#b91c1c;color:#991b1b}
details{margin:.4rem 0}
details>summary{cursor:pointer;color:#1d4ed8;font-weight:600}
details .panel{border:1px solid #d1d5db;border-radius:6px;padding:.75rem;margin-top:.4rem;background:#fff}
.pager{display:flex;gap:1rem;align-items:center;margin:.75rem 0}
.legal p{max-width:48rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
fieldset{border:1px solid #d1d5db;border-radius:6px}
.chart{max-width:48rem;display:block}.chart .bar{fill:#1d4ed8}.chart .bar.idle{fill:#93c5fd}.chart .cap{stroke:#b91c1c;stroke-width:2}.chart .projection{stroke:#374151;stroke-width:2;stroke-dasharray:6 4}.chart .axisline{stroke:#6b7280}.chart .axis{fill:#374151;font-size:12px}
figure{margin:1rem 0}
/* Spend against a cap: the bar, and the words that say the same (at risk from 80%). */
.cap-use{display:inline-flex;gap:.4rem;align-items:center;white-space:nowrap;font-size:.9rem}
.cap-use meter{width:5.5rem;height:.9rem}
.cap-use.at_risk strong{color:#92400e}
.cap-use.reached strong{color:#991b1b}
tr.cap-at-risk>*{background:#fffbeb}
form.filters{display:flex;gap:.5rem 1rem;flex-wrap:wrap;align-items:flex-start;margin:1rem 0}
form.filters .field{display:flex;flex-direction:column;gap:.2rem;max-width:18rem}
ul.kv{list-style:none;margin:0;padding:0}
/* Phones and tablets: a table wider than the page scrolls inside its own box. position:relative keeps a
   visually hidden label in a cell inside that box, not the page's. */
@media (max-width:64rem){
table{display:block;overflow-x:auto;max-width:100%;position:relative}
}
/* Phones: the header stacks, tables scroll inside their own box rather than the page (each table takes
   keyboard focus, so the keyboard can scroll it too), forms take the width. */
@media (max-width:40rem){
header.top{padding:.6rem 1rem;gap:.5rem 1rem}
header.top nav{flex-basis:100%;order:3}
header.top .who{margin-left:0;font-size:.9rem}
main{padding:1rem}
footer{padding:1rem}
h1{font-size:1.35rem}
section.card{padding:.75rem}
th,td{padding:.35rem .45rem}
form.inline{display:flex}
form.filters .field{max-width:100%}
}
@media print{header.top,footer,.no-print{display:none}main{max-width:none;padding:0}section.card{break-inside:avoid;border-color:#9ca3af}a{color:inherit;text-decoration:none}}
`;
