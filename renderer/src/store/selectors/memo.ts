/** Memoize a selector on the identity of its inputs, so derived arrays are stable between renders. */
export function memoSelector<S, I extends readonly unknown[], R>(
  inputs: (state: S) => I,
  compute: (inputs: I) => R,
): (state: S) => R {
  let lastInputs: I | undefined;
  let lastResult: R;
  return (state) => {
    const next = inputs(state);
    if (lastInputs && next.length === lastInputs.length && next.every((v, i) => Object.is(v, lastInputs![i])))
      return lastResult;
    lastInputs = next;
    lastResult = compute(next);
    return lastResult;
  };
}
