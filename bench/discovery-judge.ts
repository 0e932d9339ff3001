/** The discovery benchmark's judge: one long-lived /usr/bin/python3 running discovery-judge.py, asked one formula at a time. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface JudgeRequest {
  id: string;
  /** The true formula in the formula-dataset syntax. */
  truth: string;
  /** The discovered formula as a formula report's `python` string. */
  found: string;
  variables: string[];
  ranges: [number, number][];
  /** Fresh uniform points drawn from the ranges for the comparison. */
  points: number;
  seed: number;
}

export interface JudgeReply {
  id: string;
  /** RMSE(found - truth) / std(truth) on the fresh points; null when the formula could not be evaluated (see error). */
  nrmse: number | null;
  /** nrmse < 1e-6. */
  exact: boolean;
  /** Exact, and equal to the truth once its decimals are the simple numbers they stand for (see discovery-judge.py). */
  law: boolean;
  /** nrmse < 1e-2. */
  close: boolean;
  /** Nodes of SymPy's expression tree of the found formula, and of the truth. */
  complexity: number | null;
  truthComplexity: number | null;
  error: string | null;
}

export const PYTHON_WITH_SYMPY = '/usr/bin/python3';

export class DiscoveryJudge {
  private readonly waiting: { resolve: (reply: JudgeReply) => void; reject: (error: Error) => void }[] = [];
  private stderr = '';
  private exited: Error | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(JSON.parse(line) as JudgeReply));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    const fail = (error: Error): void => {
      this.exited = error;
      for (const pending of this.waiting.splice(0)) pending.reject(error);
    };
    child.on('error', (error) => fail(new Error(`the judge ${PYTHON_WITH_SYMPY} could not start: ${error.message}; install Python 3 with sympy and numpy there`)));
    child.on('exit', (code) => fail(new Error(`the judge stopped (exit code ${code}): ${this.stderr.trim().split('\n').at(-1) ?? ''}`)));
  }

  static start(scriptPath: string): DiscoveryJudge {
    return new DiscoveryJudge(spawn(PYTHON_WITH_SYMPY, [scriptPath], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  judge(request: JudgeRequest): Promise<JudgeReply> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Ends the judge once it has answered everything asked. */
  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}
