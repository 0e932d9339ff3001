/** Dataset operations of the API: preview and import CSV text (parsed in worker threads, main/services/csv-work.ts), generate formula datasets, built-in samples, list, preview, delete. */
import type { ParsedRequestOf, ResponseOf } from '../../app/api/contract';
import { PREVIEW_MAX_CHARS, irisCsv, makeFormulaDataset, parseFormula, type NumericTable } from '../../app/data';
import type { DatasetRecord, ExperimentStore } from '../store';
import { StoreError } from '../store';
import type { CsvWork } from './csv-work';
import { badRequest, notFound } from './errors';

type DatasetInfo = ResponseOf<'datasets.list'>[number];
type Range = [number, number];

interface FormulaSample {
  id: string;
  name: string;
  description: string;
  formula: string;
  vars: number;
  range: Range;
}

const IRIS_SAMPLE = {
  id: 'iris',
  name: 'Iris flowers',
  description: "Fisher's iris data: four measurements of 150 flowers in cm, three species to tell apart (classification).",
};

const FORMULA_SAMPLES: readonly FormulaSample[] = [
  {
    id: 'kan-toy', name: 'KAN paper toy function', formula: 'exp(sin(pi*x1) + x2^2)', vars: 2, range: [-1, 1],
    description: 'f(x1, x2) = exp(sin(pi x1) + x2^2), the first example of the KAN paper; a [2, 5, 1] KAN recovers it symbolically.',
  },
  {
    id: 'product', name: 'Multiplication', formula: 'x1*x2', vars: 2, range: [-1, 1],
    description: 'f(x1, x2) = x1 x2: a KAN learns it as ((x1 + x2)^2 - (x1 - x2)^2) / 4 with square activations.',
  },
  {
    id: 'gaussian', name: 'Gaussian bump', formula: 'exp(-(x1^2 + x2^2) / 2)', vars: 2, range: [-2, 2],
    description: 'f(x1, x2) = exp(-(x1^2 + x2^2)/2), a radial function composed of squares and an exponential.',
  },
];

/** Largest formula dataset the host generates and stores: about a second of its thread and 20 MB of CSV. */
const MAX_FORMULA_DATASET_CELLS = 1_000_000;

/** Rows per sample formula dataset: enough for the paper's examples, quick to train on. */
const SAMPLE_ROWS = 1000;

export class DatasetService {
  constructor(private readonly store: ExperimentStore, private readonly csv: CsvWork) {}

  previewCsv(request: ParsedRequestOf<'datasets.previewCsv'>): Promise<ResponseOf<'datasets.previewCsv'>> {
    return this.csv.preview(request.text, request.maxRows, request.cut);
  }

  async importCsv(request: ParsedRequestOf<'datasets.importCsv'>): Promise<DatasetInfo> {
    return datasetInfo(await this.csv.import(request.name, request.text));
  }

  importCsvBegin(request: ParsedRequestOf<'datasets.importCsvBegin'>): ResponseOf<'datasets.importCsvBegin'> {
    return { uploadId: this.csv.begin(request.name, request.size) };
  }

  importCsvChunk(request: ParsedRequestOf<'datasets.importCsvChunk'>): ResponseOf<'datasets.importCsvChunk'> {
    return { received: this.csv.append(request.uploadId, request.text) };
  }

  async importCsvFinish(request: ParsedRequestOf<'datasets.importCsvFinish'>): Promise<DatasetInfo> {
    return datasetInfo(await this.csv.finish(request.uploadId));
  }

  importCsvCancel(request: ParsedRequestOf<'datasets.importCsvCancel'>): ResponseOf<'datasets.importCsvCancel'> {
    return { cancelled: this.csv.cancel(request.uploadId) };
  }


  createFormula(request: ParsedRequestOf<'datasets.createFormula'>): DatasetInfo {
    // The rows are generated and written as CSV text on the host's thread, which answers no one meanwhile.
    const cells = (request.train + request.test) * (request.vars + 1);
    if (cells > MAX_FORMULA_DATASET_CELLS) {
      badRequest(
        `${request.train + request.test} rows of ${request.vars + 1} columns are ${cells.toLocaleString('en')} cells, more than the ${MAX_FORMULA_DATASET_CELLS.toLocaleString('en')} a stored formula dataset may hold; use fewer rows or variables (a recipe's own data.formula draws its rows when it trains, and stores none).`,
        'train',
      );
    }
    const spec = {
      formula: request.formula.trim(), vars: request.vars, range: request.range, train: request.train, test: request.test,
      noise: request.noise, seed: request.seed,
    };
    const generated = makeFormulaDataset(spec);
    const record = this.store.putDataset({
      name: request.name, kind: 'formula', spec, columns: generated.columns, rows: request.train + request.test,
      bytes: new TextEncoder().encode(tablesToCsv(generated.columns, [generated.train, generated.test])),
    });
    return datasetInfo(record);
  }

  /** The formula along one variable, the others held at the middle of their ranges: the curve a user checks before generating data. */
  sampleFormula(request: ParsedRequestOf<'datasets.sampleFormula'>): ResponseOf<'datasets.sampleFormula'> {
    const { vars, variable, points } = request;
    if (variable >= vars) badRequest(`variable ${variable} does not exist; the formula has variables 0..${vars - 1} (x1..x${vars}).`, 'variable');
    const ranges = rangesOf(request.range, vars);
    const compiled = parseFormula(request.formula, vars);
    const [lo, hi] = ranges[variable]!;
    const x = new Float64Array(points * vars);
    const axis: number[] = [];
    for (let p = 0; p < points; p++) {
      const value = lo + ((hi - lo) * p) / (points - 1);
      axis.push(value);
      for (let v = 0; v < vars; v++) x[p * vars + v] = v === variable ? value : (ranges[v]![0] + ranges[v]![1]) / 2;
    }
    const y = compiled.evaluate(x, points);
    return { x: axis, y: Array.from(y, (value) => (Number.isFinite(value) ? value : null)) };
  }

  samples(): ResponseOf<'datasets.samples'> {
    return [
      { ...IRIS_SAMPLE, kind: 'csv' },
      ...FORMULA_SAMPLES.map(({ id, name, description }) => ({ id, name, description, kind: 'formula' as const })),
    ];
  }

  addSample(request: ParsedRequestOf<'datasets.addSample'>): DatasetInfo | Promise<DatasetInfo> {
    if (request.sampleId === IRIS_SAMPLE.id) return this.importCsv({ name: IRIS_SAMPLE.name, text: irisCsv });
    const sample = FORMULA_SAMPLES.find((s) => s.id === request.sampleId);
    if (!sample) {
      const known = [IRIS_SAMPLE.id, ...FORMULA_SAMPLES.map((s) => s.id)].join(', ');
      badRequest(`there is no sample "${request.sampleId.slice(0, 100)}"; the samples are ${known}.`, 'sampleId');
    }
    return this.createFormula({
      name: sample.name, formula: sample.formula, vars: sample.vars, range: sample.range,
      train: SAMPLE_ROWS, test: SAMPLE_ROWS, noise: 0, seed: 0,
    });
  }

  list(): DatasetInfo[] {
    return this.store.listDatasets().map(datasetInfo);
  }

  /** A stored dataset's first lines, decoded here (a megabyte at most) and parsed in a worker; rowCount is the whole file's. */
  async preview(request: ParsedRequestOf<'datasets.preview'>): Promise<ResponseOf<'datasets.preview'>> {
    const record = this.store.getDataset(request.id);
    if (!record) notFound(`dataset ${request.id}`);
    const bytes = this.store.getDatasetHead(request.id, PREVIEW_MAX_CHARS);
    const cut = record.size > bytes.length;
    const head = new TextDecoder().decode(bytes);
    const preview = await this.csv.preview(head, request.maxRows, cut);
    return { ...preview, rowCount: record.rows };
  }

  delete(request: ParsedRequestOf<'datasets.delete'>): ResponseOf<'datasets.delete'> {
    try {
      this.store.deleteDataset(request.id);
      return { deleted: true };
    } catch (error) {
      if (error instanceof StoreError && error.code === 'not_found') return { deleted: false };
      throw error;
    }
  }
}

export function datasetInfo(record: DatasetRecord): DatasetInfo {
  const columns = Array.isArray(record.columns) ? record.columns.map(String) : [];
  return {
    id: record.id, name: record.name, kind: record.kind, hash: record.hash, rows: record.rows, size: record.size,
    columns, spec: record.spec, createdAt: record.createdAt,
  };
}

function rangesOf(range: Range | Range[], vars: number): Range[] {
  const single = typeof range[0] === 'number';
  const list = single ? Array.from({ length: vars }, () => range as Range) : (range as Range[]);
  if (!single && list.length !== vars) badRequest(`range lists ${list.length} ranges but the formula has ${vars} variables; give one [lo, hi] per variable or one for all.`, 'range');
  list.forEach(([lo, hi], v) => {
    if (!(lo < hi)) badRequest(`the range of x${v + 1} must be [lo, hi] with lo < hi; got [${lo}, ${hi}].`, single ? 'range' : `range[${v}]`);
  });
  return list;
}

/** Numbers written with full precision (String round-trips a Float64), one header row. */
export function tablesToCsv(columns: string[], tables: NumericTable[]): string {
  const lines = [columns.join(',')];
  for (const table of tables) {
    const width = table.columns.length;
    for (let row = 0; row < table.rows; row++) {
      const cells: string[] = [];
      for (let c = 0; c < width; c++) cells.push(String(table.data[row * width + c]!));
      lines.push(cells.join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
