/** The symbolic toolkit: library, edge fitting, suggestions, formulas and their exports. */
export {
  BUILTIN_LIBRARY, BUILTIN_NAMES, FORMULA_FUNCTIONS, buildLibrary, customFunction, describeDomain, domainAdmits, resolveSymbolicFunction, symbolicResolver,
  type CustomFunctionSpec, type Domain, type LibraryFunction, type Parity, type SearchKind,
} from './library';
export { argumentAdmissible, fitSymbolic, fitSymbolicEdge, prepareEdgeSamples, type EdgeSamples, type SymbolicFit } from './fit';
export {
  autoSymbolic, edgeLabel, edgeSamples, fixSymbolic, rankSymbolic, setSymbolic, suggestSymbolic, symbolicScore, unfixSymbolic,
  type AutoSymbolicEdge, type AutoSymbolicOptions, type EdgeId, type FixOptions, type NetworkSamples, type RankOptions, type Ranking, type SuggestOptions, type Suggestion, type SymbolicModel,
} from './suggest';
export { NumericEdgesError, buildFormulas, evaluateFormula, instantiate, rawInputs, roundConstants, safeIdentifiers, type Formula, type FormulaOptions } from './formula';
export { latexDocument, toJavaScript, toLatex, toPython, toText, type LatexTableRow } from './export';
export { escapeLatexText, latexNumber, latexSymbol } from './latex-atoms';
