/**
 * The messages an import run answers, defined once: the workflow sets their handlers and the API
 * sends them with these same definitions (names and types), never as strings of its own.
 * Deterministic code: @temporalio/workflow and types only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RemovalDecision, RemovalDecisionAnswer, RunProgress, RunProgressReport } from '../libs/temporal/src/contracts';

/** Live phase and counts of the run (counts as of the last completed activity; GET /runs/:id is live). */
export const progressQuery = defineQuery<RunProgress>('progress');

/**
 * How far the run's read or load has come, sent by the extract and load activities every few
 * seconds (counts only): the workflow shows it as its current details in the Temporal UI.
 */
export const runProgressSignal = defineSignal<[RunProgressReport]>('runProgress');

/**
 * The decision on removals above the safety threshold, sent by POST /runs/:id/approve-removals
 * and /reject-removals. An Update: its validator refuses a run that is not in its removal step or
 * already went the other way, and the caller gets the decision the run goes on with (or why not).
 */
export const decideRemovalsUpdate = defineUpdate<RemovalDecisionAnswer, [RemovalDecision]>('decideRemovals');

/**
 * The signals the API sent before the Update existed: histories that carry them must still
 * replay, and the API falls back to them while a worker of the previous version runs the workflow.
 */
export const approveRemovalsSignal = defineSignal('approveRemovals');
export const rejectRemovalsSignal = defineSignal('rejectRemovals');
