import { z } from 'zod';
import type { ParamField, ParamValue } from '../../../shared/domain/strategies';
import type { ParamsSchema } from './strategy';

interface JsonSchemaProperty {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  description?: string;
  title?: string;
}

function labelOf(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function isParamValue(v: unknown): v is ParamValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

/**
 * Describes a strategy's parameter schema as a flat list of form fields, via zod's own JSON Schema
 * export (so constraints such as `.int().min(2)` reach the form without a second declaration).
 * Nested objects and arrays are not form-renderable and are reported as an error.
 */
export function paramFields(schema: ParamsSchema): ParamField[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchemaProperty>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, p]) => {
    const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type;
    const field: ParamField = { name, label: p.title ?? labelOf(name), type: 'string' };
    if (p.enum && p.enum.every((v) => typeof v === 'string')) {
      field.type = 'enum';
      field.options = p.enum as string[];
    } else if (type === 'integer' || type === 'number' || type === 'boolean' || type === 'string') {
      field.type = type;
    } else {
      throw new Error(`parameter "${name}" has type ${JSON.stringify(p.type)}; only numbers, integers, booleans, strings and enums can be edited in a form`);
    }
    if (isParamValue(p.default)) field.default = p.default;
    const min = p.minimum ?? p.exclusiveMinimum;
    const max = p.maximum ?? p.exclusiveMaximum;
    // zod's .int() exports the safe-integer range as bounds; they are no limit a form should show.
    if (min !== undefined && min > Number.MIN_SAFE_INTEGER) field.min = min;
    if (max !== undefined && max < Number.MAX_SAFE_INTEGER) field.max = max;
    if (p.multipleOf !== undefined) field.step = p.multipleOf;
    else if (field.type === 'integer') field.step = 1;
    if (p.description) field.description = p.description;
    if (required.has(name) && p.default === undefined) field.required = true;
    return field;
  });
}
