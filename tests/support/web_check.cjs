// Drives the verification page in headless Chromium with JavaScript DISABLED (the page must
// work as a plain form): uploads each PDF, reads what the page shows, saves screenshots.
// usage: NODE_PATH=<dir>/node_modules node web_check.cjs BASE_URL OUT_DIR NAME=FILE.pdf | NAME=/url/path ...
// Prints one JSON object: { NAME: { verdict, reason, summary, lang, details } }.
const { chromium } = require("playwright-core");
const path = require("path");

(async () => {
  const [base, outDir, ...items] = process.argv.slice(2);
  // A fresh profile every run (launchPersistentContext is how Playwright takes --user-data-dir).
  const context = await chromium.launchPersistentContext(
    path.join(outDir, `chromium-profile-${process.pid}`),
    {
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      javaScriptEnabled: false,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"],
    });
  const page = await context.newPage();
  const out = {};
  const read = async (name) => {
    require("fs").writeFileSync(path.join(outDir, `${name}.html`), await page.content());
    out[name] = {
      verdict: (await page.textContent("#verdict")).trim(),
      reason: (await page.textContent("#reason")).trim(),
      summary: (await page.textContent("#summary")).replace(/\s+/g, " ").trim(),
      lang: await page.getAttribute("html", "lang"),
      details: await page.locator("details").count(),
      details_open: await page.locator("details[open]").count(),
      status_role: await page.locator("[role=status]").count(),
      labelled_file: await page.locator("label[for=file]").count(),
    };
    await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  };
  for (const item of items) {
    const eq = item.indexOf("=");
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (!value.endsWith(".pdf")) {
      await page.goto(base + value);
    } else {
      await page.goto(base + "/verify");
      await page.setInputFiles("#file", value);
      await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    }
    await read(name);
  }
  await context.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
