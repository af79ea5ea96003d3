// Seeded randomness for the chaos harness: every random choice (fault kinds, times, targets, event
// types, emitter pacing, hostile bodies) comes from a stream derived from `--seed`, so a run's
// schedule is reproduced by its seed. Each concern forks its own stream by name, so adding draws
// in one (say, one more emitter) does not shift another (the fault schedule).

/** splitmix32: spreads a 32-bit seed into well-mixed state words. */
function splitmix32(a) {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Prng {
  #a;
  #b;
  #c;
  #d;

  constructor(seed) {
    this.seed = seed >>> 0;
    const mix = splitmix32(this.seed);
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
  }

  /** sfc32: a uniform 32-bit word. */
  #next() {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** [0, 1) */
  float() {
    return this.#next() / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min, max) {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p) {
    return this.float() < p;
  }

  pick(items) {
    return items[Math.floor(this.float() * items.length)];
  }

  shuffled(items) {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  bytes(n) {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.#next() & 0xff;
    return out;
  }

  /** An independent stream for one concern, derived from this seed and a name. */
  fork(name) {
    return new Prng(this.seed ^ hash32(name));
  }
}
