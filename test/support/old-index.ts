import { CreateTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { tableNames } from "../../src/adapters/dynamodb/client.js";
import { createAdapters } from "../../src/adapters/from-config.js";
import { testConfig, testStores } from "./app.js";

/**
 * A test config whose jobs table has the current shape but for one index
 * that does not project `attr`: a table created by a version before that
 * attribute (a projection cannot change in place). The stores of the config
 * then open that table as they would an old one.
 */
export async function configWithOldIndex(label: string, index: string, attr: string) {
  const current = testConfig(`${label}-new`);
  const fresh = await testStores(current);
  const shape = await fresh.client.send(
    new DescribeTableCommand({ TableName: tableNames(current.store.tablePrefix).jobs }),
  );
  const config = testConfig(`${label}-old`);
  const { dynamo } = createAdapters(config);
  const table = tableNames(config.store.tablePrefix).jobs;
  const t = shape.Table!;
  await dynamo.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: t.KeySchema,
      AttributeDefinitions: t.AttributeDefinitions,
      GlobalSecondaryIndexes: (t.GlobalSecondaryIndexes ?? []).map((ix) => ({
        IndexName: ix.IndexName,
        KeySchema: ix.KeySchema,
        Projection:
          ix.IndexName === index
            ? {
                ...ix.Projection,
                NonKeyAttributes: ix.Projection?.NonKeyAttributes?.filter((a) => a !== attr),
              }
            : ix.Projection,
      })),
    }),
  );
  dynamo.destroy();
  fresh.client.destroy();
  return { config, table };
}
