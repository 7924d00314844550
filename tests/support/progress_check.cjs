// Drives the progress page in headless Chromium with JavaScript DISABLED (plain HTML and
// forms): opens each page, reads what it shows, saves screenshots.
// usage: NODE_PATH=<dir>/node_modules node progress_check.cjs BASE_URL OUT_DIR ITEM...
//   NAME=/path               open the page
//   NAME=applicant:/path:ID  open the page, type ID into the applicant form and submit
//   NAME=lookup:CODE         open /d, type CODE into the lookup form and submit
// Prints one JSON object: { NAME: { status, lang, state, timeliness, due, steps, ... } }.
const { chromium } = require("playwright-core");
const path = require("path");

(async () => {
  const [base, outDir, ...items] = process.argv.slice(2);
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
  const text = async (selector) => {
    const found = await page.locator(selector).count();
    return found ? (await page.textContent(selector)).replace(/\s+/g, " ").trim() : null;
  };
  const out = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    let response;
    if (value.startsWith("applicant:")) {
      const [, url, id] = value.split(":");
      await page.goto(base + url);
      await page.fill("#applicant_id", id);
      [response] = await Promise.all([page.waitForNavigation(),
        page.click("#applicant-form button[type=submit]")]);
    } else if (value.startsWith("lookup:")) {
      await page.goto(base + "/d");
      await page.fill("#code", value.slice("lookup:".length));
      [response] = await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    } else {
      response = await page.goto(base + value);
    }
    require("fs").writeFileSync(path.join(outDir, `${name}.html`), await page.content());
    out[name] = {
      status: response ? response.status() : null,
      url: page.url(),
      lang: await page.getAttribute("html", "lang"),
      state: await text("#state"),
      timeliness: await text("#timeliness"),
      due: await text("#due"),
      summary: await text("#summary"),
      steps: await page.locator("#steps tbody tr").count(),
      steps_text: await text("#steps"),
      extensions: await text("#extensions"),
      waits: await text("#waits"),
      results: await page.locator("#results a").evaluateAll((links) =>
        links.map((a) => a.getAttribute("href"))),
      applicant: await text("#applicant"),
      applicant_form: await page.locator("#applicant-form").count(),
      mismatch: await text("#mismatch"),
      error: await text("#error"),
      labelled_inputs: await page.locator("label[for]").count(),
      body: (await page.textContent("body")).replace(/\s+/g, " ").trim(),
    };
    await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  }
  await context.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
