// closures re-evaluated from their source text (new Function, direct and indirect eval) behave as untraced code (issue 7)
const fns = [
  (n: number) => new Uint8Array(n).length,
  (n: number) => Buffer.alloc(n, 1).reduce((a, b) => a + b, 0),
  (n: number) => {
    const r = new ArrayBuffer(1, { maxByteLength: 8 });
    r.resize(n);
    return r.byteLength;
  },
  (n: number) => Array.from({ length: n }, (_, i) => i).join(""),
];
/** @track_caller */
const marked = (n: number) => new Uint8Array(n).length + Buffer.alloc(n).length;
for (const fn of [...fns, marked]) {
  for (const make of [
    () => new Function("return " + fn.toString())(),
    () => eval("(" + fn.toString() + ")"),
    () => (0, eval)("(" + fn.toString() + ")"),
  ]) {
    try {
      const again = make();
      console.log(typeof again, again.length, again(3));
      console.log(again(-1));
    } catch (e) {
      console.log("threw", (e as Error).constructor.name, (e as Error).message);
    }
  }
}
export {};
