// Builds every top-level entry of src/ (src/*.js, src/*.css) into build/, which Django's
// staticfiles serves as /static/frontend/<name> (settings.STATICFILES_DIRS). Modules and
// partials imported by an entry live in subdirectories of src/ and are bundled into it.
// Usage: npm run build (deploy/dev/stack.py and the Dockerfile run it after `npm ci`).
import { readdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

const entries = readdirSync("src", { withFileTypes: true })
  .filter((entry) => entry.isFile() && /\.(js|css)$/.test(entry.name))
  .map((entry) => `src/${entry.name}`);

rmSync("build", { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: "build",
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  format: "iife",
  // Fonts and images referenced from CSS are copied next to the bundle.
  loader: { ".woff2": "file", ".woff": "file", ".svg": "file", ".png": "file" },
  logLevel: "warning",
});
console.log(`built ${entries.length} entries into frontend/build/`);
