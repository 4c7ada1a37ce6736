/** One problem `validatePlan` found, naming the operator it concerns. */
export interface PlanIssue {
  code:
    | 'MISSING_NAME'
    | 'DUPLICATE_NAME'
    | 'UNKNOWN_INPUT'
    | 'WRONG_INPUT_COUNT'
    | 'CYCLE'
    | 'UNKNOWN_FUNCTION'
    | 'NOT_KEYED'
    | 'NOT_PARTITIONED_BY_KEY'
    | 'KEY_FORMAT_MISMATCH'
    | 'NO_EVENT_TIME'
    | 'INVALID_TOPIC'
    | 'TOPIC_LOOP'
    | 'DUPLICATE_SOURCE_TOPIC'
    | 'INVALID_ARGUMENT';
  /** The operator's label: its name, or kind#id. */
  operator: string;
  message: string;
}
