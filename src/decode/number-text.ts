// A JSON number whose value as a double would not give back its source text (10^1000 is Infinity,
// 2^64 loses digits, 1e3 prints as 1000): parseJsonBody keeps the text, so that no field is
// silently changed. Readers decide: details keep the text, time converts it when exact.
export class NumberText {
  constructor(readonly source: string) {}
}
