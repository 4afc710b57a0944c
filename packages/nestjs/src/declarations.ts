import { errors } from './messages.js';

/**
 * The task ids declared in this application, with who declared them: one id, one declaration.
 * Shared by `@Scheduled`, `forFeature` tasks and the `@nestjs/schedule` drop-in.
 */
export class TaskDeclarations {
  private readonly owners = new Map<string, string>();

  /** Records `id` as declared by `where`; throws a `CONFLICTING_ID` error when it was already. */
  claim(id: string, where: string): void {
    const first = this.owners.get(id);
    if (first !== undefined) throw errors.duplicateTask(id, first, where);
    this.owners.set(id, where);
  }

  has(id: string): boolean {
    return this.owners.has(id);
  }
}
