import { EntitySchema, type MigrationInterface, type QueryRunner } from 'typeorm';

/** A row of the test table, described without decorators (vitest's esbuild emits no metadata). */
export interface Widget {
  id: number;
  name: string;
  colour: string | null;
}

export const WidgetEntity = new EntitySchema<Widget>({
  name: 'Widget',
  tableName: 'widgets',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    name: { type: String },
    colour: { type: String, nullable: true },
  },
});

/** Unqualified names on purpose: they must land in the service schema through search_path. */
export class CreateWidgets1700000000000 implements MigrationInterface {
  readonly name = 'CreateWidgets1700000000000';

  async up(runner: QueryRunner): Promise<void> {
    // No IF NOT EXISTS: applying it twice must fail loudly.
    await runner.query('CREATE TABLE widgets (id serial PRIMARY KEY, name text NOT NULL)');
    // Widens the window in which a second, concurrent migrate() could slip in.
    await runner.query('SELECT pg_sleep(0.2)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE widgets');
  }
}

export class AddWidgetColour1700000000001 implements MigrationInterface {
  readonly name = 'AddWidgetColour1700000000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE widgets ADD COLUMN colour text');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE widgets DROP COLUMN colour');
  }
}

export const WIDGET_MIGRATIONS = [CreateWidgets1700000000000, AddWidgetColour1700000000001];
