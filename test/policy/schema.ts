// A small validator for the JSON Schema keywords docs/policy.schema.json uses, so the
// test can check that what toJson writes is what the published schema describes.

type S = Record<string, unknown>;

export function conforms(schema: S, root: S, v: unknown, path = ''): string | null {
  if (typeof schema.$ref === 'string') {
    const target = (schema.$ref as string).replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as S)[k], root) as S;
    return conforms(target, root, v, path);
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(v)) return `${path}: not one of ${JSON.stringify(schema.enum)}`;
  if (Array.isArray(schema.oneOf)) {
    const ok = (schema.oneOf as S[]).filter((s) => conforms(s, root, v, path) === null).length;
    if (ok !== 1) return `${path}: matches ${ok} of oneOf`;
  }
  const t = schema.type;
  if (t === 'object') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${path}: not an object`;
    const o = v as S;
    for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in o)) return `${path}: missing ${r}`;
    const props = (schema.properties as Record<string, S> | undefined) ?? {};
    for (const [k, x] of Object.entries(o)) {
      if (!(k in props)) { if (schema.additionalProperties === false) return `${path}/${k}: not allowed`; continue; }
      const e = conforms(props[k], root, x, `${path}/${k}`);
      if (e) return e;
    }
  } else if (t === 'array') {
    if (!Array.isArray(v)) return `${path}: not an array`;
    if (typeof schema.minItems === 'number' && v.length < schema.minItems) return `${path}: too few items`;
    if (typeof schema.maxItems === 'number' && v.length > schema.maxItems) return `${path}: too many items`;
    for (let i = 0; i < v.length; i++) { const e = conforms(schema.items as S, root, v[i], `${path}/${i}`); if (e) return e; }
  } else if (t === 'string') {
    if (typeof v !== 'string') return `${path}: not a string`;
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(v)) return `${path}: does not match ${schema.pattern}`;
  } else if (t === 'integer') {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `${path}: not an integer`;
    if (typeof schema.minimum === 'number' && v < schema.minimum) return `${path}: below minimum`;
    if (typeof schema.maximum === 'number' && v > schema.maximum) return `${path}: above maximum`;
  }
  return null;
}
