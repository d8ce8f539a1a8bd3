// Builds every top-level entry of src/ (src/*.js, src/*.css) into build/, which Django's
// staticfiles serves as /static/frontend/<name> (settings.STATICFILES_DIRS). Modules and
// partials imported by an entry live in subdirectories of src/ and are bundled into it.
// It also writes build/icons.svg, a sprite of the icons named in src/icons.json only (from
// lucide-static), used by the {% icon %} template tag as <svg><use href="...#name"></svg>.
// Usage: npm run build (deploy/dev/stack.py and the Dockerfile run it after `npm ci`).
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

// The icon sprite: each lucide icon becomes a <symbol> with its viewBox and stroke settings,
// so that <use> draws it in the text's colour (currentColor) at the size CSS gives.
const icons = JSON.parse(readFileSync("src/icons.json", "utf8"));
const lucide = "node_modules/lucide-static";
const version = JSON.parse(readFileSync(`${lucide}/package.json`, "utf8")).version;
const symbols = icons.map((name) => {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`icons.json: bad icon name ${name}`);
  const svg = readFileSync(`${lucide}/icons/${name}.svg`, "utf8");
  const viewBox = /viewBox="([^"]+)"/.exec(svg)?.[1];
  const body = /<svg[^>]*>([\s\S]*)<\/svg>/.exec(svg)?.[1];
  if (!viewBox || !body) throw new Error(`lucide-static: cannot read icons/${name}.svg`);
  const shapes = body.trim().split("\n").map((line) => line.trim()).join("");
  return `<symbol id="${name}" viewBox="${viewBox}" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${shapes}</symbol>`;
});
// Their licence (ISC, and MIT for the icons derived from Feather) travels with them.
const license = readFileSync(`${lucide}/LICENSE`, "utf8").trim();
writeFileSync(
  "build/icons.svg",
  `<svg xmlns="http://www.w3.org/2000/svg">\n<!-- Icons: lucide-static ${version} (https://lucide.dev).\n${license.replace(/-{2,}/g, "")}\n-->\n${symbols.join("\n")}\n</svg>\n`,
);
console.log(`built ${entries.length} entries and ${icons.length} icons into frontend/build/`);
