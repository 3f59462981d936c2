// riskcore browser example: a seeded stress simulation in a module Web Worker, then the report's
// summary and charts. Plain ES module, no bundler.
//
// This page imports the package's browser entry straight from the build (dist/src/browser.js, the
// file the package's "browser" export points to). An application would instead write
//   import { simulate, buildReport, mergeShards, renderCharts, chartContext, CRASH_SCENARIO } from 'riskcore';
// and let its bundler (or an import map) resolve 'riskcore'.
//
// window.riskcoreExample = { state: 'running' | 'done' | 'failed' | 'cancelled', config?, report?, error? }

const $ = (id) => document.getElementById(id);
const ui = {
  form: $('config-form'), config: $('config'), workers: $('workers'), run: $('run'), cancel: $('cancel'),
  box: $('status-box'), progress: $('progress'), progressLabel: $('progress-label'), status: $('status'), error: $('error'),
  results: $('results'), runInfo: $('run-info'), variants: $('variants'),
};

function setState(state) {
  window.riskcoreExample = state;
  ui.box.dataset.state = state.state;
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
}

setState({ state: 'running' });

let riskcore;
try {
  riskcore = await import('../../dist/src/browser.js');
} catch (e) {
  const error = `Could not load the package (${e && e.message || e}). Run \`npm run build\` at the repository root and serve the `
    + 'repository root over http(s) (module workers and wasm streaming do not work from file://).';
  ui.status.textContent = 'Failed to load riskcore.';
  ui.progressLabel.textContent = 'Not started';
  showError(error);
  ui.run.disabled = true;
  setState({ state: 'failed', error });
}

/** A small crash run: charts have visible data and the waterfall goes past the fund and the vault. */
function defaultConfig() {
  return {
    book: { accounts: 3000, markets: 12, seed: 3 },
    scenario: riskcore.CRASH_SCENARIO,
    paths: 16,
    steps: 24,
    seed: 3,
    insuranceFundQuote: '100000',
    vaultQuote: '100000',
  };
}

/** `?config=<url-encoded JSON>` (and `?workers=N`) override the defaults. */
function initialConfig() {
  const params = new URL(location.href).searchParams;
  const workers = Number(params.get('workers'));
  if (Number.isInteger(workers) && workers >= 1) ui.workers.value = String(workers);
  const text = params.get('config');
  if (text === null) return defaultConfig();
  return JSON.parse(text);
}

// ---- Formatting ---------------------------------------------------------------------------------

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** "1234567.890000" -> "1,234,567.890000" (exact: the report's decimal strings are never turned into floats). */
function quote(s) {
  const [int, frac] = String(s).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}
const percent = (p) => `${(p * 100).toFixed(2)} %`;
/** Decimal strings with the same decimals compare as integers of atoms. */
const atoms = (s) => BigInt(String(s).replace('.', ''));
function share(part, whole) {
  const w = atoms(whole);
  return w === 0n ? '—' : `${(Number((atoms(part) * 10_000n) / w) / 100).toFixed(2)} %`;
}

// ---- Rendering ----------------------------------------------------------------------------------

function summaryTable(report) {
  const vs = report.variants;
  const rows = [
    ['P(fund exhausted)', 'fund-exhausted', (v) => [`${percent(v.fundExhaustedProbability)} (${v.fundExhaustedPaths} of ${v.paths})`, v.fundExhaustedProbability]],
    ['Socialized loss, mean', 'socialized-mean', (v) => [quote(v.socialized.mean), v.socialized.mean]],
    ['Socialized loss, p95', 'socialized-p95', (v) => [quote(v.socialized.p95), v.socialized.p95]],
    ['Socialized loss, p99', 'socialized-p99', (v) => [quote(v.socialized.p99), v.socialized.p99]],
    ['Socialized loss, ES99', 'socialized-es99', (v) => [quote(v.socialized.expectedShortfall99), v.socialized.expectedShortfall99]],
    ['Cover-1, max over paths', 'cover1-max', (v) => [quote(v.cover1.max), v.cover1.max]],
    ['Cover-2, max over paths', 'cover2-max', (v) => [quote(v.cover2.max), v.cover2.max]],
    ['Prefunded resources', 'prefunded', (v) => [quote(v.prefundedQuote), v.prefundedQuote]],
    ['Cover-2 max / prefunded', 'cover2-share', (v) => [share(v.cover2.max, v.prefundedQuote), share(v.cover2.max, v.prefundedQuote)]],
    ['Paths with Cover-2 > prefunded', 'cover2-breach', (v) => [`${v.cover2BreachPaths} of ${v.paths}`, v.cover2BreachPaths]],
  ];
  const head = `<tr><th scope="col">Figure</th>${vs.map((v) => `<th scope="col">${esc(v.name)}</th>`).join('')}</tr>`;
  const body = rows.map(([label, key, cell]) => `<tr><th scope="row">${esc(label)}</th>${vs.map((v, i) => {
    const [text, value] = cell(v);
    const breach = key === 'cover2-breach' && v.cover2BreachPaths > 0 ? ' breach' : '';
    return `<td class="num${breach}" data-key="${key}" data-variant="${i}" data-value="${esc(value)}">${esc(text)}</td>`;
  }).join('')}</tr>`).join('');
  return `<table id="summary"><caption>Key figures (quote units; ${esc(report.paths)} paths of ${esc(report.steps)} steps)</caption>`
    + `<thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function renderReport(report, elapsedMs, workers) {
  const r = riskcore;
  const charts = report.variants.map((v, i) => {
    const heading = report.variants.length === 1 ? 'Charts' : `Charts: ${esc(v.name)}`;
    return `<section aria-labelledby="charts-${i}-heading" data-variant="${i}"><h3 id="charts-${i}-heading">${heading}</h3>`
      + r.renderCharts(v, report.quoteDecimals, `v${i}`, r.chartContext(report, i)) + '</section>';
  }).join('');
  ui.variants.innerHTML = `<h3>Summary</h3>${summaryTable(report)}${charts}`;
  ui.runInfo.textContent = `${report.paths} paths × ${report.steps} steps, seed ${report.config.seed ?? 'default'}, `
    + `${report.work.accountsChecked.toLocaleString('en-US')} account checks, ${workers} Web Worker${workers === 1 ? '' : 's'}, `
    + `${Math.round(elapsedMs).toLocaleString('en-US')} ms. Configuration hash ${report.configHash}.`;
  ui.results.hidden = false;
}

// ---- Running ------------------------------------------------------------------------------------

let controller;

function onProgress({ phase, done, total }) {
  ui.progress.max = Math.max(1, total);
  ui.progress.value = done;
  ui.progressLabel.textContent = phase === 'book' ? 'Building the book in the worker' : 'Running paths';
  ui.status.textContent = phase === 'book'
    ? `Building the book: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} accounts`
    : `Paths: ${done} of ${total}`;
}

async function run(config) {
  const workers = Math.max(1, Math.floor(Number(ui.workers.value) || 1));
  controller = new AbortController();
  ui.run.disabled = true;
  ui.cancel.disabled = false;
  ui.error.hidden = true;
  ui.results.hidden = true;
  ui.progress.removeAttribute('value'); // indeterminate until the worker reports
  ui.progressLabel.textContent = 'Starting the worker';
  ui.status.textContent = 'Starting…';
  setState({ state: 'running', config });
  const started = performance.now();
  try {
    // workers >= 1: the package runs the paths in module Web Workers (simulation/worker-browser.js).
    const shard = await riskcore.simulate(config, { workers, onProgress, signal: controller.signal });
    const report = riskcore.buildReport(riskcore.mergeShards([shard]));
    const elapsed = performance.now() - started;
    renderReport(report, elapsed, workers);
    ui.progress.max = 1;
    ui.progress.value = 1;
    ui.progressLabel.textContent = 'Finished';
    ui.status.textContent = `Done in ${(elapsed / 1000).toFixed(2)} s.`;
    setState({ state: 'done', config, report });
  } catch (e) {
    if (controller.signal.aborted) {
      ui.progressLabel.textContent = 'Cancelled';
      ui.status.textContent = 'Cancelled: the worker was stopped.';
      setState({ state: 'cancelled', config });
    } else {
      let error = e && e.stack || String(e);
      if (/simulation worker failed/.test(error)) {
        error += '\n\nThe Web Worker could not load or crashed: serve the repository over http(s) after `npm run build`.';
      }
      ui.progressLabel.textContent = 'Failed';
      ui.status.textContent = 'The simulation failed.';
      showError(error);
      setState({ state: 'failed', config, error });
    }
  } finally {
    ui.run.disabled = false;
    ui.cancel.disabled = true;
    controller = undefined;
  }
}

ui.cancel.addEventListener('click', () => controller?.abort(new DOMException('Cancelled by the user', 'AbortError')));

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (controller) return;
  let config;
  try {
    config = JSON.parse(ui.config.value);
  } catch (e) {
    showError(`The configuration is not valid JSON: ${e.message}`);
    ui.config.focus();
    return;
  }
  void run(config);
});

if (riskcore) {
  let config;
  try {
    config = initialConfig();
  } catch (e) {
    const error = `?config= is not valid JSON: ${e.message}`;
    ui.config.value = JSON.stringify(defaultConfig(), null, 2);
    ui.status.textContent = 'Not started: fix the configuration and run.';
    showError(error);
    setState({ state: 'failed', error });
  }
  if (config) {
    ui.config.value = JSON.stringify(config, null, 2);
    void run(config);
  }
}
