/** JSON schemas of the admin and team routes (requests and responses). */

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

const nullableDate = { type: ['string', 'null'], format: 'date-time' } as const;

export const teamIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,31}$' } },
} as const;

export const keyIdParams = {
  type: 'object',
  required: ['keyId'],
  properties: { keyId: { type: 'string', pattern: '^[0-9A-Za-z]{12}$' } },
} as const;

const registryErrorSchema = {
  type: 'object',
  required: ['path', 'line', 'column', 'message'],
  properties: { path: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' }, message: { type: 'string' } },
} as const;

export const registryStatusSchema = {
  type: 'object',
  required: ['file', 'loadedAt', 'teams', 'lastError'],
  properties: {
    file: { type: 'string' },
    loadedAt: nullableDate,
    teams: { type: 'integer' },
    lastError: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['at', 'errors'],
          properties: { at: { type: 'string', format: 'date-time' }, errors: { type: 'array', items: registryErrorSchema } },
        },
      ],
    },
  },
} as const;

export const reloadResultSchema = {
  type: 'object',
  required: ['outcome', 'registry'],
  properties: { outcome: { type: 'string', enum: ['loaded', 'unchanged'] }, registry: registryStatusSchema },
} as const;

export const reloadFailedSchema = {
  type: 'object',
  required: ['error', 'message', 'registry'],
  properties: { error: { type: 'string' }, message: { type: 'string' }, registry: registryStatusSchema },
} as const;

export const teamListSchema = {
  type: 'object',
  required: ['teams'],
  properties: {
    teams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'enabled', 'repo', 'branch', 'removedAt', 'updatedAt', 'workingKeys', 'inRegistry'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          enabled: { type: 'boolean' },
          repo: { type: 'string' },
          branch: { type: 'string' },
          removedAt: nullableDate,
          updatedAt: { type: 'string', format: 'date-time' },
          workingKeys: { type: 'integer' },
          inRegistry: { type: 'boolean' },
        },
      },
    },
  },
} as const;

export const keyInfoSchema = {
  type: 'object',
  required: ['keyId', 'teamId', 'status', 'createdAt', 'createdBy', 'expiresAt', 'revokedAt', 'replacedBy', 'lastUsedAt'],
  properties: {
    keyId: { type: 'string' },
    teamId: { type: 'string' },
    status: { type: 'string', enum: ['active', 'grace', 'expired', 'revoked'] },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
    expiresAt: nullableDate,
    revokedAt: nullableDate,
    replacedBy: { type: ['string', 'null'] },
    lastUsedAt: nullableDate,
  },
} as const;

export const keyListSchema = {
  type: 'object',
  required: ['keys'],
  properties: { keys: { type: 'array', items: keyInfoSchema } },
} as const;

export const issuedKeySchema = {
  type: 'object',
  required: ['key', 'info', 'notice'],
  properties: { key: { type: 'string' }, info: keyInfoSchema, notice: { type: 'string' } },
} as const;

export const rotatedKeySchema = {
  type: 'object',
  required: ['key', 'info', 'previous', 'notice'],
  properties: { key: { type: 'string' }, info: keyInfoSchema, previous: keyInfoSchema, notice: { type: 'string' } },
} as const;

export const webhookSecretSchema = {
  type: 'object',
  required: ['teamId', 'secret', 'notice'],
  properties: { teamId: { type: 'string' }, secret: { type: 'string' }, notice: { type: 'string' } },
} as const;

const limitsSchema = {
  type: 'object',
  required: ['cpuMs', 'memoryMb'],
  properties: { cpuMs: { type: 'integer' }, memoryMb: { type: 'integer' } },
} as const;

const riskSchema = {
  type: 'object',
  required: ['maxPositionPct', 'maxOrderNotional', 'maxOrdersPerMinute'],
  properties: { maxPositionPct: { type: 'number' }, maxOrderNotional: { type: 'number' }, maxOrdersPerMinute: { type: 'integer' } },
} as const;

export const teamViewSchema = {
  type: 'object',
  required: ['team', 'competition'],
  properties: {
    team: {
      type: 'object',
      required: ['id', 'name', 'enabled', 'repo', 'branch', 'path', 'params', 'limits', 'risk'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        enabled: { type: 'boolean' },
        repo: { type: 'string' },
        branch: { type: 'string' },
        path: { type: 'string' },
        entry: { type: 'string' },
        params: { type: 'object', additionalProperties: true },
        limits: limitsSchema,
        risk: riskSchema,
      },
    },
    competition: {
      type: 'object',
      required: ['name', 'universe', 'startingCash'],
      properties: { name: { type: 'string' }, universe: { type: 'array', items: { type: 'string' } }, startingCash: { type: 'number' } },
    },
  },
} as const;
