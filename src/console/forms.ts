// Form plumbing shared by the pages: reading a urlencoded body with zod, errors shown
// next to the field they are about, and the CSRF token every form carries.
import type { z } from 'zod';
import { html, type Html } from './html.js';

/** Field id → message, shown beside that field when the page is rendered again. */
export type FieldErrors = Record<string, string>;

export class FormError extends Error {
  constructor(readonly errors: FieldErrors, readonly status = 422) {
    super(Object.values(errors).join('; '));
  }
}

/** Parses a form body; a refusal names each field at fault under `prefix` + its key. */
export function parseForm<T>(schema: z.ZodType<T>, body: unknown, prefix: string): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = `${prefix}${String(issue.path[0] ?? 'form')}`;
    errors[key] ??= issue.message;
  }
  throw new FormError(errors, 400);
}

export const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;

/** id for an element from a field key (keys hold ':' and '.'). */
export const fieldId = (key: string) => `f-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/** Attributes tying an input to its error message (aria-invalid, aria-describedby). */
export function errorAttrs(errors: FieldErrors, key: string): Html {
  return errors[key] ? html` aria-invalid="true" aria-describedby="${fieldId(key)}-error"` : html``;
}

/** The message beside a field, or nothing. */
export function errorText(errors: FieldErrors, key: string): Html {
  const message = errors[key];
  return message ? html`<p class="error" id="${fieldId(key)}-error" role="alert">${message}</p>` : html``;
}

/**
 * A page's errors, remembering which were shown beside a field: the rest (a field the
 * page no longer has, e.g. a request decided meanwhile) are shown at the top.
 */
export class ErrorSlots {
  private readonly shown = new Set<string>();
  constructor(readonly errors: FieldErrors = {}) {}
  has(key: string): boolean {
    return key in this.errors;
  }
  attrs(key: string): Html {
    return errorAttrs(this.errors, key);
  }
  text(key: string): Html {
    this.shown.add(key);
    return errorText(this.errors, key);
  }
  /** Call after every field was rendered. */
  leftover(): Html {
    const rest = Object.entries(this.errors).filter(([key]) => !this.shown.has(key));
    return rest.length ? html`<div class="alert" role="alert">${rest.map(([, message]) => html`<p>${message}</p>`)}</div>` : html``;
  }
}
