import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Document = { paths?: Record<string, Record<string, unknown>> };

/** Checks responses against the API's own OpenAPI document (status, content type, body). */
export class OpenApiConformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly templates: { template: string; pattern: RegExp }[];
  /** Every (method, template, status) seen, for a coverage check at the end. */
  readonly seen = new Set<string>();

  constructor(readonly document: Document) {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...document, $id: 'openapi.json' });
    this.templates = Object.keys(document.paths ?? {}).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
    }));
  }

  /** Validates the document itself against the OpenAPI 3.1 schema; resolves with the problems. */
  static async validateDocument(document: unknown): Promise<string[]> {
    try {
      // validate() dereferences in place: give it a copy.
      await SwaggerParser.validate(structuredClone(document) as never);
      return [];
    } catch (error) {
      return [error instanceof Error ? error.message : String(error)];
    }
  }

  /**
   * Throws unless the response is described by the document: a documented status of the matching
   * operation, with a body that validates against that response's schema.
   */
  check(
    method: string,
    url: string,
    res: { status: number; headers: Record<string, string>; body: unknown },
  ): void {
    const path = new URL(url, 'http://x').pathname;
    const match = this.templates.find((t) => t.pattern.test(path));
    if (!match) return; // not an API route (e.g. the 404 of an unknown path)
    const m = method.toLowerCase();
    const operation = this.document.paths?.[match.template]?.[m] as
      { responses?: Record<string, { content?: Record<string, unknown> }> } | undefined;
    if (!operation) throw new Error(`${method} ${match.template} is not in the OpenAPI document`);
    const response = operation.responses?.[String(res.status)];
    if (!response)
      throw new Error(
        `${method} ${match.template} answered ${res.status}, which is not documented`,
      );
    this.seen.add(`${m} ${match.template} ${res.status}`);
    if (!response.content) return;
    const contentType = (res.headers['content-type'] ?? '').split(';')[0] ?? '';
    if (!(contentType in response.content))
      throw new Error(`${method} ${match.template} ${res.status}: undocumented ${contentType}`);
    const pointer = [
      'paths',
      match.template,
      m,
      'responses',
      String(res.status),
      'content',
      contentType,
      'schema',
    ]
      .map((segment) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1')))
      .join('/');
    const validate = this.ajv.getSchema(`openapi.json#/${pointer}`);
    if (!validate) throw new Error(`no schema at ${pointer}`);
    if (!validate(res.body)) {
      throw new Error(
        `${method} ${url} ${res.status} does not match the OpenAPI document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`,
      );
    }
  }
}
