// a @track_caller function whose parameter default allocates: the default runs before the body's caller constant exists
/** @track_caller */
function pd(n: number, b = new Uint8Array(n)) {
  return [n, b.length, arguments.length];
}
for (const f of [() => pd(2), () => pd(2, new Uint8Array(5)), () => pd.length]) {
  try {
    console.log(JSON.stringify(f()));
  } catch (e) {
    console.log("threw", (e as Error).constructor.name, (e as Error).message);
  }
}
export {};
