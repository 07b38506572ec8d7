// resize() on an object that is not an ArrayBuffer (reached through a cast): same result, and the ndjson trace stays JSON
const fake = { resize(k: number) { return "fake" + k; } };
console.log((fake as unknown as ArrayBuffer).resize(5));
const other = { byteLength: "x", resize(k: number) { return k * 2; } };
console.log((other as unknown as ArrayBuffer).resize(3));
export {};
