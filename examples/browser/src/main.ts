// The page: picks data, model and backend, starts training in a worker, charts the losses and
// shows what the trained (or loaded) model predicts. All heavy work happens in worker.ts.
import * as tf from '@tensorflow/tfjs-core';
import { Chart, registerables } from 'chart.js';
import { formatEpochHeader, formatEpochRow, type EpochResult } from '@cf/trainer';
import type { Recommendation } from '@cf/model';
import type { BackendChoice, DataSource, FromWorker, ToWorker, TrainSettings } from './messages.js';

Chart.register(...registerables);

/** What the page has seen, readable by tests as `window.__cf`. */
export interface PageState {
  ready: boolean;
  webgpu: boolean;
  data?: Extract<FromWorker, { type: 'data' }>;
  backend?: string;
  engine?: string;
  /** `crossOriginIsolated` of the page: several training threads need it. */
  crossOriginIsolated: boolean;
  /** Threads the last fit trained on, and why fewer than asked for when so. */
  threads?: number;
  threadsNote?: string;
  epochs: EpochResult[];
  trained?: Extract<FromWorker, { type: 'trained' }>;
  recommendations?: Recommendation[];
  recommendedAll?: Extract<FromWorker, { type: 'recommended-all' }>;
  similar?: Recommendation[];
  prediction?: Extract<FromWorker, { type: 'prediction' }>;
  loadedModel?: Extract<FromWorker, { type: 'model-loaded' }>;
  saved: string[];
  errors: string[];
  /** Training runs finished so far (stopped ones included). */
  runs: number;
}

declare global {
  interface Window {
    __cf: PageState;
  }
}

const state: PageState = {
  ready: false,
  webgpu: false,
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  epochs: [],
  saved: [],
  errors: [],
  runs: 0,
};
window.__cf = state;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};
const input = (id: string): HTMLInputElement => $<HTMLInputElement>(id);
const button = (id: string): HTMLButtonElement => $<HTMLButtonElement>(id);

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker, transfer: Transferable[] = []): void =>
  worker.postMessage(message, transfer);

const chart = new Chart<'line', number[], string>($<HTMLCanvasElement>('chart'), {
  type: 'line',
  data: {
    labels: [],
    datasets: [
      {
        label: 'train loss (smoothed)',
        data: [],
        borderColor: '#1f77b4',
        backgroundColor: '#1f77b4',
        tension: 0.2,
      },
      {
        label: 'validation loss',
        data: [],
        borderColor: '#d62728',
        backgroundColor: '#d62728',
        tension: 0.2,
      },
    ],
  },
  options: {
    animation: false,
    maintainAspectRatio: false,
    scales: {
      x: { title: { display: true, text: 'epoch' } },
      y: { title: { display: true, text: 'MSE' } },
    },
  },
});

function resetChart(): void {
  chart.data.labels = [];
  for (const d of chart.data.datasets) d.data = [];
  chart.update();
}

function addEpoch(result: EpochResult): void {
  state.epochs.push(result);
  chart.data.labels!.push(String(state.epochs.length));
  chart.data.datasets[0]!.data.push(result.trainLoss);
  chart.data.datasets[1]!.data.push(result.valLoss);
  chart.update();
  const table = $('table');
  if (!table.textContent) table.textContent = formatEpochHeader(Object.keys(result.metrics)) + '\n';
  table.textContent += formatEpochRow(result) + '\n';
}

function showItems(list: HTMLElement, items: Recommendation[], what: string): void {
  list.replaceChildren(
    ...items.map((r) => {
      const li = document.createElement('li');
      li.dataset['itemId'] = String(r.itemId);
      li.textContent = `${r.title ?? `movie ${r.itemId}`} — ${what} ${r.score.toFixed(3)}`;
      return li;
    }),
  );
}

function setTraining(running: boolean): void {
  button('train').disabled = running || !state.data;
  button('stop').disabled = !running;
}

function enableModelButtons(): void {
  for (const id of ['recommend', 'recommend-all', 'similar', 'predict', 'save-idb', 'download'])
    button(id).disabled = false;
}

function showError(message: string): void {
  state.errors.push(message);
  $('error').textContent = message;
}

function onMessage(message: FromWorker): void {
  switch (message.type) {
    case 'ready': {
      state.ready = true;
      state.webgpu = message.webgpu;
      const option = $('backend').querySelector<HTMLOptionElement>('option[value="webgpu"]')!;
      option.disabled = !message.webgpu;
      option.textContent = message.webgpu ? 'WebGPU' : 'WebGPU (not available)';
      return;
    }
    case 'data':
      state.data = message;
      $('data-status').textContent =
        `${message.label}: ${message.nRatings.toLocaleString()} ratings, ${message.nUsers} users, ${message.nItems} movies${message.titles ? `, ${message.titles} titles` : ''}`;
      setTraining(false);
      return;
    case 'backend':
      state.backend = message.active;
      state.engine = message.engine;
      $('active-backend').textContent = message.active;
      $('engine').textContent =
        `(training engine: ${message.engine === 'fused' ? "cf's fused host kernels" : 'tfjs ops'}${message.active !== message.requested ? `; ${message.requested} was asked for` : ''})`;
      return;
    case 'fit-begin':
      $('table').textContent += message.fitIndex > 0 ? `setLrs · fit ${message.epochs}\n` : '';
      state.threads = message.threads;
      if (message.threadsNote !== undefined) state.threadsNote = message.threadsNote;
      $('threads-status').textContent =
        `${message.threads} thread${message.threads === 1 ? '' : 's'}${message.threadsNote ? ` (${message.threadsNote})` : ''}`;
      return;
    case 'progress': {
      const bar = $<HTMLProgressElement>('progress');
      bar.max = message.batchesPerEpoch;
      bar.value = message.batch;
      $('progress-text').textContent =
        `batch ${message.batch}/${message.batchesPerEpoch} · loss ${message.smoothedLoss.toFixed(4)}`;
      return;
    }
    case 'epoch': {
      const bar = $<HTMLProgressElement>('progress');
      bar.value = bar.max;
      addEpoch(message.result);
      return;
    }
    case 'trained':
      state.trained = message;
      state.runs++;
      setTraining(false);
      $('result').textContent = message.ranking
        ? `${message.interrupted ? 'stopped early · ' : ''}validation top-10 NDCG ${message.ranking.ndcg.toFixed(4)} · recall ${message.ranking.recall.toFixed(4)} (${message.ranking.users} users; a ranking model has no RMSE) · ${message.secondsPerEpoch.toFixed(1)} s/epoch`
        : `${message.interrupted ? 'stopped early · ' : ''}validation RMSE ${message.rmse.toFixed(4)} · bias baseline ${message.baselineRmse.toFixed(4)} · mean only ${message.meanOnlyRmse.toFixed(4)} · ${message.secondsPerEpoch.toFixed(1)} s/epoch`;
      showModel(message.model);
      enableModelButtons();
      return;
    case 'recommendations':
      state.recommendations = message.items;
      showItems($('recommendations'), message.items, 'predicted');
      return;
    case 'recommended-all':
      state.recommendedAll = message;
      $('recommend-all-status').textContent =
        `top 10 for ${message.users.toLocaleString()} users in ${message.seconds.toFixed(2)} s on ${message.threads} thread${message.threads === 1 ? '' : 's'}${message.threadsNote ? ` (${message.threadsNote})` : ''}`;
      return;
    case 'similar':
      state.similar = message.items;
      showItems($('similar-list'), message.items, 'cosine');
      return;
    case 'prediction':
      state.prediction = message;
      $('prediction').textContent = `${message.rating.toFixed(4)} (${message.source})`;
      return;
    case 'saved':
      state.saved.push(message.url);
      $('save-status').textContent = `saved to ${message.url}`;
      return;
    case 'artifacts': {
      // tfjs's downloads:// router (registered by tfjs-core in a page) writes cf-model.json + cf-model.weights.bin.
      const [handler] = tf.io.getSaveHandlers('downloads://cf-model');
      if (!handler?.save) return showError('this browser has no downloads:// handler');
      void handler.save(message.artifacts).then(() => {
        state.saved.push('downloads://cf-model');
        $('save-status').textContent = 'downloaded cf-model.json and cf-model.weights.bin';
      });
      return;
    }
    case 'model-loaded':
      state.loadedModel = message;
      showModel(message.model);
      enableModelButtons();
      $('save-status').textContent = `loaded ${message.url}`;
      return;
    case 'error':
      if (message.during === 'train') setTraining(false);
      showError(`${message.during} failed: ${message.message}`);
      return;
  }
}

function showModel(model: Extract<FromWorker, { type: 'trained' }>['model']): void {
  $('model-label').textContent =
    `${model.type}, ${model.nUsers} users × ${model.nItems} movies (${model.label})`;
  for (const [id, value] of [
    ['user', model.exampleUserId],
    ['predict-user', model.exampleUserId],
    ['item', model.exampleItemId],
    ['predict-item', model.exampleItemId],
  ] as const) {
    if (!input(id).value) input(id).value = String(value);
  }
}

worker.onmessage = (event: MessageEvent<FromWorker>) => onMessage(event.data);
worker.onerror = (event) => showError(`worker failed: ${event.message}`);

const optionalNumber = (id: string): number | undefined =>
  input(id).value.trim() ? Number(input(id).value) : undefined;
const maxRows = (): { maxRows?: number } => {
  const n = optionalNumber('max-rows');
  return n === undefined ? {} : { maxRows: n };
};

function loadData(source: DataSource, transfer: Transferable[] = []): void {
  $('data-status').textContent = 'loading…';
  send({ type: 'load-data', source }, transfer);
}

async function loadFile(file: File): Promise<void> {
  const bytes = await file.arrayBuffer();
  loadData({ kind: 'file', name: file.name, bytes, ...maxRows() }, [bytes]);
}

const drop = $('drop-zone');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void loadFile(file);
});
input('file').addEventListener('change', () => {
  const file = input('file').files?.[0];
  if (file) void loadFile(file);
});
button('sample').addEventListener('click', () => {
  const base = new URL('sample/', document.baseURI);
  loadData({
    kind: 'url',
    ratingsUrl: new URL('ratings.csv', base).href,
    titlesUrl: new URL('movies.csv', base).href,
    label: 'the sample (synthetic)',
    ...maxRows(),
  });
});

function settings(): TrainSettings {
  const epochs = input('epochs').value.trim();
  const s: TrainSettings = {
    recipe: $<HTMLSelectElement>('recipe').value as TrainSettings['recipe'],
    backend: $<HTMLSelectElement>('backend').value as BackendChoice,
    threads: $<HTMLSelectElement>('threads').value === 'auto' ? 'auto' : 1,
    valPct: 0.2,
    seed: 42,
  };
  if (epochs) s.epochs = epochs.split(/[ ,]+/).map(Number);
  const lr = optionalNumber('lr');
  const nFactors = optionalNumber('factors');
  const batchSize = optionalNumber('batch-size');
  if (lr !== undefined) s.lr = lr;
  if (nFactors !== undefined) s.nFactors = nFactors;
  if (batchSize !== undefined) s.batchSize = batchSize;
  return s;
}

button('train').addEventListener('click', () => {
  state.epochs = [];
  delete state.trained;
  delete state.threads;
  delete state.threadsNote;
  $('threads-status').textContent = '';
  resetChart();
  $('table').textContent = '';
  $('result').textContent = '';
  $('error').textContent = '';
  setTraining(true);
  send({ type: 'train', settings: settings() });
});
button('stop').addEventListener('click', () => send({ type: 'stop' }));
button('recommend').addEventListener('click', () =>
  send({ type: 'recommend', userId: input('user').value.trim(), k: 10 }),
);
button('recommend-all').addEventListener('click', () => send({ type: 'recommend-all', k: 10 }));
button('similar').addEventListener('click', () =>
  send({ type: 'similar', itemId: input('item').value.trim(), k: 10 }),
);
button('predict').addEventListener('click', () =>
  send({
    type: 'predict',
    userId: input('predict-user').value.trim(),
    itemId: input('predict-item').value.trim(),
  }),
);
button('save-idb').addEventListener('click', () =>
  send({ type: 'save', url: 'indexeddb://cf-model' }),
);
button('download').addEventListener('click', () => send({ type: 'export' }));
const loadModel = (url: string): void =>
  send({
    type: 'load-model',
    url,
    backend: $<HTMLSelectElement>('backend').value as BackendChoice,
  });
button('load-idb').addEventListener('click', () => loadModel('indexeddb://cf-model'));
button('load-url').addEventListener('click', () =>
  loadModel(new URL(input('model-url').value.trim(), document.baseURI).href),
);
