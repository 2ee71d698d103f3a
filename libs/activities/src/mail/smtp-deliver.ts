import { createTransport } from 'nodemailer';
import type { Deliver } from './mailer';

/** Delivers outbox emails over SMTP (`smtp://user:pass@host:587`, `smtps://…`) as plain text. */
export function createSmtpDeliver(smtp: { readonly url: string; readonly from: string }): Deliver {
  const transport = createTransport(smtp.url);
  return async (email) => {
    await transport.sendMail({
      from: smtp.from,
      to: email.to,
      subject: email.subject,
      text: email.body,
    });
  };
}
