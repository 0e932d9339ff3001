/** Symbolic operations of the API: candidate functions for an edge, the library, and the formula with its exports. */
import { ApiError } from '../../app/api';
import type { ParsedRequestOf, ResponseOf } from '../../app/api/contract';
import type { ModelStates } from './model-states';

function unavailable(): never {
  throw new ApiError({ code: 'failed', message: 'symbolic regression is not available in this build yet.' });
}

export class SymbolicService {
  constructor(private readonly states: ModelStates) {}

  suggest(_request: ParsedRequestOf<'symbolic.suggest'>): ResponseOf<'symbolic.suggest'> {
    void this.states;
    return unavailable();
  }

  library(): ResponseOf<'symbolic.library'> {
    return unavailable();
  }

  formula(_request: ParsedRequestOf<'formula.get'>): ResponseOf<'formula.get'> {
    return unavailable();
  }

  exportFormula(_request: ParsedRequestOf<'formula.export'>): ResponseOf<'formula.export'> {
    return unavailable();
  }
}
