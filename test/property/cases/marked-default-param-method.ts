// a @track_caller method whose parameter default allocates a resizable ArrayBuffer
class PD {
  /** @track_caller */
  m(n: number, b = new ArrayBuffer(n, { maxByteLength: 8 })) {
    b.resize(n + 1);
    return [b.byteLength, this instanceof PD];
  }
}
try {
  console.log(JSON.stringify(new PD().m(2)), PD.prototype.m.length);
} catch (e) {
  console.log("threw", (e as Error).constructor.name, (e as Error).message);
}
export {};
