/** Another user already has this email (the `User_email_key` unique index said so). */
export class EmailTakenError extends Error {
  override readonly name = 'EmailTakenError';
  constructor(readonly email: string) {
    super(`email ${email} is already taken`);
  }
}
