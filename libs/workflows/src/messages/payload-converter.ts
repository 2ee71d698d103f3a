/**
 * The workers' payload converter (`dataConverter.payloadConverterPath`, also bundled into the
 * workflow code): the SDK's default converter, except that a payload it cannot decode becomes an
 * {@link Undecodable} value instead of an exception.
 *
 * Why: a signal is decoded before any handler or interceptor runs, and a decoding error there
 * fails the workflow *task* — the entity then retries the same task forever and answers nothing
 * (a `notify-purchase` with `encoding: text/weird` stopped a loyalty program; a bad `cancel`
 * stopped billing). With this converter the handler receives the marker, the message guard counts
 * the message as rejected, and the entity goes on. Well-formed payloads decode exactly as before,
 * so recorded histories replay unchanged.
 */
import { defaultPayloadConverter, type Payload, type PayloadConverter } from '@temporalio/common';
import { undecodable } from './undecodable';

export class TolerantPayloadConverter implements PayloadConverter {
  toPayload<T>(value: T): Payload {
    return defaultPayloadConverter.toPayload(value);
  }

  fromPayload<T>(payload: Payload): T {
    try {
      return defaultPayloadConverter.fromPayload<T>(payload);
    } catch (error) {
      return undecodable(payload, error) as T;
    }
  }
}

/** The export Temporal loads from `payloadConverterPath`. */
export const payloadConverter = new TolerantPayloadConverter();
