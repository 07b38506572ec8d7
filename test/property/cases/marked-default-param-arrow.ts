// a @track_caller arrow const whose parameter default allocates (Array.from)
/** @track_caller */
const pa = (n: number, b = Array.from({ length: n })) => b.length;
try {
  console.log(pa(3), pa(3, [1]), pa.length);
} catch (e) {
  console.log("threw", (e as Error).constructor.name, (e as Error).message);
}
export {};
