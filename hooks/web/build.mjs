// Bundle editor.mjs (CodeMirror 6) into dist/editor.js, one minified ES
// module the site serves itself. Run by `make` after `npm ci`.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("./editor.mjs", import.meta.url).pathname],
  outfile: new URL("./dist/editor.js", import.meta.url).pathname,
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  legalComments: "eof",
  logLevel: "warning",
});
