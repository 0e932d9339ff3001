/** The sentences that tell the user, at import, everything a CSV's profile found: redundant columns and missing cells, all at once. */
import type { CsvProfile } from '../../../app/data/profile';

function list(names: readonly string[]): string {
  return names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
}

export function profileNotes(profile: Pick<CsvProfile, 'constant' | 'duplicate' | 'missing'>): string[] {
  const notes: string[] = [];
  const { constant, duplicate, missing } = profile;
  if (constant.length > 0) notes.push(`${constant.length} constant column${constant.length > 1 ? 's' : ''} (${list(constant)}): set to ignore, since they carry no information.`);
  if (duplicate.length > 0) notes.push(`${duplicate.length} duplicate column${duplicate.length > 1 ? 's' : ''} (${list(duplicate.map((d) => `${d.column} = ${d.sameAs}`))}): set to ignore.`);
  const gaps = Object.entries(missing);
  if (gaps.length > 0) {
    const cells = gaps.reduce((sum, [, n]) => sum + n, 0);
    notes.push(`${cells} missing value${cells > 1 ? 's' : ''} (${list(gaps.map(([name, n]) => `${name}: ${n}`))}): rows missing an input are dropped, or filled with the training mean if you choose so.`);
  }
  return notes;
}
