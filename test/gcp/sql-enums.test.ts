import sqlProtos from '@google-cloud/sql/build/protos/protos.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { CLOUD_SQL_ENUMS } from '../../functions/gcp/sql-enums.ts';

describe('Cloud SQL enum copy', () => {
  it('matches the installed generated protos when @google-cloud/sql is installed', () => {
    // Prepare
    const v1 = sqlProtos.nested.google.nested.cloud.nested.sql.nested.v1.nested;
    // Act
    const fromProtos = {
      databaseVersion: v1.SqlDatabaseVersion.values,
      instanceType: v1.SqlInstanceType.values,
      instanceState: v1.DatabaseInstance.nested.SqlInstanceState.values,
      suspensionReason: v1.SqlSuspensionReason.values,
      activationPolicy: v1.Settings.nested.SqlActivationPolicy.values,
      edition: v1.Settings.nested.Edition.values,
      retentionUnit: v1.BackupRetentionSettings.nested.RetentionUnit.values,
      logStorageState: v1.BackupConfiguration.nested.TransactionalLogStorageState.values,
      backupTier: v1.BackupConfiguration.nested.BackupTier.values,
      backupRunStatus: v1.SqlBackupRunStatus.values,
      backupRunType: v1.SqlBackupRunType.values,
      apiWarningCode: v1.ApiWarning.nested.SqlApiWarningCode.values,
      operationStatus: v1.Operation.nested.SqlOperationStatus.values,
    };
    // Assess
    expect(CLOUD_SQL_ENUMS).toEqual(fromProtos);
  });
});
