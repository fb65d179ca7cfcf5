/** Freezes an object graph: every nested object and array, so no part of it can change. */
export function deepFreeze<T>(value: T): T {
  const seen = new WeakSet<object>();
  const freeze = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    for (const key of Reflect.ownKeys(node)) freeze((node as Record<PropertyKey, unknown>)[key]);
    Object.freeze(node);
  };
  freeze(value);
  return value;
}
