// NYSE holidays and early closes as published by NYSE Group (the "Holiday and Early Closings Calendar"
// announcements for 2022–2024, 2025–2027 and 2026–2028). Extend a year only from such an announcement:
// the observance rules have exceptions (no Friday holiday for a Saturday New Year's Day; unscheduled
// closures such as the national day of mourning on 2025-01-09) that no formula reproduces.

export const NYSE_SCHEDULE_FIRST_YEAR = 2024;
export const NYSE_SCHEDULE_LAST_YEAR = 2027;

/** Weekdays on which the exchange is closed all day. */
export const NYSE_FULL_HOLIDAYS: ReadonlyMap<string, string> = new Map([
  ['2024-01-01', "New Year's Day"],
  ['2024-01-15', 'Martin Luther King, Jr. Day'],
  ['2024-02-19', "Washington's Birthday"],
  ['2024-03-29', 'Good Friday'],
  ['2024-05-27', 'Memorial Day'],
  ['2024-06-19', 'Juneteenth National Independence Day'],
  ['2024-07-04', 'Independence Day'],
  ['2024-09-02', 'Labor Day'],
  ['2024-11-28', 'Thanksgiving Day'],
  ['2024-12-25', 'Christmas Day'],

  ['2025-01-01', "New Year's Day"],
  ['2025-01-09', 'National Day of Mourning for President Jimmy Carter'],
  ['2025-01-20', 'Martin Luther King, Jr. Day'],
  ['2025-02-17', "Washington's Birthday"],
  ['2025-04-18', 'Good Friday'],
  ['2025-05-26', 'Memorial Day'],
  ['2025-06-19', 'Juneteenth National Independence Day'],
  ['2025-07-04', 'Independence Day'],
  ['2025-09-01', 'Labor Day'],
  ['2025-11-27', 'Thanksgiving Day'],
  ['2025-12-25', 'Christmas Day'],

  ['2026-01-01', "New Year's Day"],
  ['2026-01-19', 'Martin Luther King, Jr. Day'],
  ['2026-02-16', "Washington's Birthday"],
  ['2026-04-03', 'Good Friday'],
  ['2026-05-25', 'Memorial Day'],
  ['2026-06-19', 'Juneteenth National Independence Day'],
  ['2026-07-03', 'Independence Day (observed)'],
  ['2026-09-07', 'Labor Day'],
  ['2026-11-26', 'Thanksgiving Day'],
  ['2026-12-25', 'Christmas Day'],

  ['2027-01-01', "New Year's Day"],
  ['2027-01-18', 'Martin Luther King, Jr. Day'],
  ['2027-02-15', "Washington's Birthday"],
  ['2027-03-26', 'Good Friday'],
  ['2027-05-31', 'Memorial Day'],
  ['2027-06-18', 'Juneteenth National Independence Day (observed)'],
  ['2027-07-05', 'Independence Day (observed)'],
  ['2027-09-06', 'Labor Day'],
  ['2027-11-25', 'Thanksgiving Day'],
  ['2027-12-24', 'Christmas Day (observed)'],
  // 2028-01-01 is a Saturday: NYSE observes no New Year's holiday, so 2027-12-31 is a full session.
]);

/** Days on which the regular session closes at 13:00 New York time instead of 16:00. */
export const NYSE_EARLY_CLOSES: ReadonlyMap<string, string> = new Map([
  ['2024-07-03', 'Day before Independence Day'],
  ['2024-11-29', 'Day after Thanksgiving'],
  ['2024-12-24', 'Christmas Eve'],

  ['2025-07-03', 'Day before Independence Day'],
  ['2025-11-28', 'Day after Thanksgiving'],
  ['2025-12-24', 'Christmas Eve'],

  // 2026: Independence Day is observed on Friday July 3, with no early close before it.
  ['2026-11-27', 'Day after Thanksgiving'],
  ['2026-12-24', 'Christmas Eve'],

  // 2027: July 4 and December 25 fall on weekends; the only early close is after Thanksgiving.
  ['2027-11-26', 'Day after Thanksgiving'],
]);
