import {
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";

/**
 * Turns on TTL for `table` on `attribute` (epoch seconds), so that DynamoDB
 * deletes items after that time (eventually: typically within days on AWS,
 * in the background and outside the table's throughput). DynamoDB Local
 * deletes them too, by scanning the whole table under its write lock: at a
 * million jobs those scans held every other request back (bench scale turns
 * the jobs table's TTL off there). Asks first, since
 * changing TTL is a rate-limited control-plane call on AWS; another process
 * turning it on at the same time is fine. Throws when it cannot be turned on.
 */
export async function enableTtl(
  client: DynamoDBClient,
  table: string,
  attribute: string,
): Promise<void> {
  const enabled = async () => {
    const out = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    const status = out.TimeToLiveDescription?.TimeToLiveStatus;
    return status === "ENABLED" || status === "ENABLING";
  };
  if (await enabled()) return;
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch (err) {
    // "TimeToLive is already enabled": another process came first.
    if (!(await enabled())) throw err;
  }
}
