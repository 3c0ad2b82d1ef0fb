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
 * A page's errors, remembering which were shown beside a field. The summary at the top
 * lists them all, each linking to its field (those a page no longer has, e.g. a request
 * decided meanwhile, are said there only), and takes the focus when the page loads
 * (`autofocus`: no script needed), so nobody is left at the top of a page that failed.
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
  summary(): Html {
    const entries = Object.entries(this.errors);
    if (!entries.length) return html``;
    return html`<div class="error-summary" id="error-summary" tabindex="-1" autofocus aria-labelledby="error-summary-title" data-testid="error-summary">
<h2 id="error-summary-title">${entries.length === 1 ? 'There is a problem' : `There are ${entries.length} problems`}</h2>
<ul>${entries.map(([key, message]) => html`<li>${this.shown.has(key) ? html`<a href="#${fieldId(key)}">${message}</a>` : message}</li>`)}</ul></div>`;
  }
  /** The summary (pages written before it had links called it this). */
  leftover(): Html {
    return this.summary();
  }
}
