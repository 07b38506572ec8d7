// a @track_caller generator with a parameter default that allocates: the caller parameter is added after it
/** @track_caller */
function* gen(n: number, extra = new Uint8Array(1)) {
  console.log("body", arguments.length);
  yield new Uint8Array(n).length + extra.length;
}
try {
  const it = gen(2);
  console.log("created", gen.length);
  console.log([...it].join(","));
} catch (e) {
  console.log("threw", (e as Error).constructor.name, (e as Error).message);
}
export {};
