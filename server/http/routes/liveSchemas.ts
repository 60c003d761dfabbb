/** JSON schemas of the leaderboard, activity and team-data routes (the original API's shapes, plus additions). */

const nullableNumber = { type: ['number', 'null'] } as const;

export const metricsProperties = {
  total_return: nullableNumber,
  total_return_percentage: nullableNumber,
  annualized_return: nullableNumber,
  annualized_return_percentage: nullableNumber,
  annualized_volatility: nullableNumber,
  annualized_volatility_percentage: nullableNumber,
  sharpe_ratio: nullableNumber,
  sortino_ratio: nullableNumber,
  calmar_ratio: nullableNumber,
  max_drawdown: nullableNumber,
  max_drawdown_percentage: nullableNumber,
  max_drawdown_duration_minutes: { type: ['integer', 'null'] },
  current_drawdown: nullableNumber,
  current_drawdown_percentage: nullableNumber,
  win_rate: nullableNumber,
  profit_factor: nullableNumber,
  total_trades: { type: 'integer' },
  data_points: { type: 'integer' },
  ranked: { type: 'boolean' },
} as const;

export const leaderboardEntrySchema = {
  type: 'object',
  required: ['rank', 'team_id', 'name', 'portfolio_value', 'total_return', 'sharpe_ratio', 'max_drawdown', 'sparkline'],
  properties: {
    rank: { type: 'integer' },
    team_id: { type: 'string' },
    name: { type: 'string' },
    portfolio_value: { type: 'number' },
    current_value: { type: 'number' },
    starting_value: { type: 'number' },
    cash: { type: 'number' },
    positions_value: { type: 'number' },
    enabled: { type: 'boolean' },
    halted: { type: 'boolean' },
    as_of: { type: 'string', format: 'date-time' },
    sparkline: { type: 'array', items: { type: 'number' } },
    ...metricsProperties,
  },
} as const;

export const leaderboardSchema = {
  type: 'object',
  required: ['leaderboard', 'minute', 'updated_at', 'competition_halted'],
  properties: {
    leaderboard: { type: 'array', items: leaderboardEntrySchema },
    minute: { type: ['string', 'null'], format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    competition_halted: { type: 'boolean' },
  },
} as const;

export const leaderboardMetricsSchema = {
  type: 'object',
  required: ['leaderboard', 'sort_by', 'calculation_period_days'],
  properties: {
    leaderboard: { type: 'array', items: leaderboardEntrySchema },
    sort_by: { type: 'string' },
    calculation_period_days: { type: ['integer', 'null'] },
  },
} as const;

const pointSchema = {
  type: 'object',
  required: ['timestamp', 'value'],
  properties: { timestamp: { type: 'string', format: 'date-time' }, value: { type: 'number' } },
} as const;

export const leaderboardHistorySchema = {
  type: 'object',
  required: ['days', 'teams'],
  properties: { days: { type: 'integer' }, teams: { type: 'object', additionalProperties: { type: 'array', items: pointSchema } } },
} as const;

export const teamHistorySchema = {
  type: 'object',
  required: ['team_id', 'days', 'data_points', 'history'],
  properties: { team_id: { type: 'string' }, days: { type: 'integer' }, data_points: { type: 'integer' }, history: { type: 'array', items: pointSchema } },
} as const;

export const activityEntrySchema = {
  type: 'object',
  required: ['id', 'timestamp', 'type', 'message', 'event'],
  properties: {
    id: { type: 'string' },
    timestamp: { type: 'string', format: 'date-time' },
    type: { type: 'string' },
    message: { type: 'string' },
    event: { type: 'object', additionalProperties: true },
  },
} as const;

export const activityRecentSchema = {
  type: 'object',
  required: ['activity'],
  properties: { activity: { type: 'array', items: activityEntrySchema } },
} as const;

export const teamMetricsSchema = {
  type: 'object',
  required: ['team_id', 'metrics'],
  properties: {
    team_id: { type: 'string' },
    metrics: {
      type: 'object',
      required: ['total_trades', 'current_value', 'starting_value', 'period'],
      properties: {
        ...metricsProperties,
        winning_trades: { type: 'integer' },
        losing_trades: { type: 'integer' },
        current_value: nullableNumber,
        starting_value: nullableNumber,
        peak_value: nullableNumber,
        trough_value: nullableNumber,
        period: {
          type: 'object',
          required: ['start', 'end', 'days', 'data_points'],
          properties: {
            start: { type: ['string', 'null'], format: 'date-time' },
            end: { type: ['string', 'null'], format: 'date-time' },
            days: nullableNumber,
            data_points: { type: 'integer' },
          },
        },
      },
    },
  },
} as const;

export const tradeSchema = {
  type: 'object',
  required: ['team_id', 'timestamp', 'symbol', 'side', 'quantity', 'requested_price', 'execution_price', 'order_type', 'broker_order_id'],
  properties: {
    team_id: { type: 'string' },
    timestamp: { type: 'string', format: 'date-time' },
    symbol: { type: 'string' },
    side: { type: 'string', enum: ['buy', 'sell'] },
    quantity: { type: 'string' },
    requested_price: { type: 'string' },
    execution_price: { type: 'string' },
    order_type: { type: 'string' },
    broker_order_id: { type: ['string', 'null'] },
    client_order_id: { type: 'string' },
    execution_id: { type: 'string' },
    realized_pnl: { type: ['string', 'null'] },
    applied: { type: 'boolean' },
    problem: { type: ['string', 'null'] },
  },
} as const;

export const tradesSchema = {
  type: 'object',
  required: ['team_id', 'count', 'trades'],
  properties: { team_id: { type: 'string' }, count: { type: 'integer' }, trades: { type: 'array', items: tradeSchema } },
} as const;

export const orderSchema = {
  type: 'object',
  required: ['client_order_id', 'minute', 'symbol', 'side', 'quantity', 'order_type', 'status'],
  properties: {
    client_order_id: { type: 'string' },
    minute: { type: 'string', format: 'date-time' },
    seq: { type: 'integer' },
    symbol: { type: 'string' },
    side: { type: 'string' },
    quantity: { type: 'integer' },
    order_type: { type: 'string' },
    limit_price: { type: ['string', 'null'] },
    requested_price: { type: 'string' },
    reason: { type: ['string', 'null'] },
    status: { type: 'string' },
    filled_quantity: { type: 'integer' },
    filled_avg_price: { type: ['string', 'null'] },
    broker_order_id: { type: ['string', 'null'] },
    broker_reason: { type: ['string', 'null'] },
    submit_attempts: { type: 'integer' },
    last_submit_error: { type: ['string', 'null'] },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const ordersSchema = {
  type: 'object',
  required: ['team_id', 'count', 'orders', 'next_offset'],
  properties: {
    team_id: { type: 'string' },
    count: { type: 'integer' },
    orders: { type: 'array', items: orderSchema },
    next_offset: { type: ['integer', 'null'], description: 'Pass as ?offset= for the next (older) page; null on the last page' },
  },
} as const;

export const lineSchema = {
  type: 'object',
  required: ['team_id', 'snapshot', 'metrics'],
  properties: {
    team_id: { type: 'string' },
    snapshot: {
      type: ['object', 'null'],
      required: ['timestamp', 'cash', 'market_value', 'positions'],
      properties: {
        timestamp: { type: 'string', format: 'date-time' },
        cash: { type: 'number' },
        market_value: { type: 'number' },
        positions: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['quantity', 'value'],
            properties: { quantity: { type: 'integer' }, value: { type: 'number' }, price: nullableNumber, cost_basis: { type: 'number' } },
          },
        },
      },
    },
    metrics: { type: 'object', required: ['total_trades'], properties: { total_trades: { type: 'integer' } } },
  },
} as const;

export const teamKeyParams = {
  type: 'object',
  required: ['teamKey'],
  properties: { teamKey: { type: 'string', maxLength: 200 } },
} as const;

export const daysLimitQuery = (defaultLimit: number, maxLimit: number) =>
  ({
    type: 'object',
    properties: {
      days: { type: 'integer', minimum: 1, maximum: 365, default: 7 },
      limit: { type: 'integer', minimum: 1, maximum: maxLimit, default: defaultLimit },
      key: { type: 'string', description: 'API key (compatibility; prefer the Authorization header)' },
    },
  }) as const;
