import { Alert, Text } from '@mantine/core';
import { outcomeLostTitle } from '../app/query-client';
import { problemOf } from './form-errors';
import { RetryingNote } from './retrying-note';
import type { RowFailure } from './use-row-actions';

interface Props {
  error: unknown;
  /** The inputs of the form beside it, whose problems show under them instead. */
  inputs?: readonly string[];
  title?: string;
  /** The problem in the page's own words, in place of the API's (its instants are in UTC). */
  message?: string;
  /** A close button, for an alert that outlives the action (a row's failure). */
  onClose?: () => void;
}

/**
 * An error answer near the action that caused it. Nothing when there is no error, or when every
 * problem is already shown under an input. The request id is for support: it finds the logs.
 */
export function ErrorAlert({
  error,
  inputs,
  title = 'That did not work',
  message,
  onClose,
}: Props) {
  const problem = problemOf(error, inputs);
  if (!problem?.message) return null;
  // Not a failure: the write was done, or may have been (the page reads it again meanwhile).
  // A row's title ("Not revoked: Bot key") keeps its row's name.
  const lost = outcomeLostTitle(error);
  const named = title.indexOf(': ');
  return (
    <Alert
      color={lost ? 'yellow' : 'red'}
      title={lost ? (named === -1 ? lost : `${lost}: ${title.slice(named + 2)}`) : title}
      role="alert"
      withCloseButton={onClose !== undefined}
      onClose={onClose}
      closeButtonLabel="Dismiss"
    >
      <Text size="sm">{message ?? problem.message}</Text>
      {problem.requestId && (
        <Text size="xs" c="dimmed" mt={4}>
          Reference {problem.requestId}
        </Text>
      )}
    </Alert>
  );
}

/**
 * A background re-read failed (a refetch on focus or after a live event, the API briefly down):
 * the page keeps what it showed, and any edit in progress, and says that it may be out of date.
 * Replacing the page with the error lost an agent's unsent message.
 */
export function RefreshFailedAlert({ error }: { error: unknown }) {
  if (!error) return null;
  return <ErrorAlert error={error} title="Could not refresh: this shows what was last read" />;
}

/**
 * A read's failure, told by what failed: its first read (nothing to show), a page of a list
 * asked for with "Load more", or a re-read in the background (a poll, a live event: what shows
 * may be out of date, and stays).
 */
export function ReadErrorAlert(props: {
  query: { data: unknown; error: unknown; isRefetchError: boolean; isFetchNextPageError?: boolean };
  title: string;
  inputs?: readonly string[];
}) {
  const { query } = props;
  if (query.data === undefined) {
    return <ErrorAlert error={query.error} inputs={props.inputs} title={props.title} />;
  }
  if (query.isFetchNextPageError) {
    return <ErrorAlert error={query.error} title="More could not be loaded" />;
  }
  return <RefreshFailedAlert error={query.isRefetchError ? query.error : null} />;
}

/**
 * The failures of a table's row actions (useRowActions), each titled for its row, and a line
 * while one whose answer was lost is sent again (the row only showed busy for those seconds).
 */
export function RowErrorAlerts<V>(props: {
  actions: {
    failures: RowFailure<V>[];
    dismiss: (failure: RowFailure<V>) => void;
    rowOf: (variables: V) => string;
    retrying: V[];
  };
  title: (variables: V) => string;
}) {
  const { failures, dismiss, rowOf, retrying } = props.actions;
  return (
    <>
      <RetryingNote retrying={retrying.length > 0 && 'now'} />
      {failures.map((f) => (
        <ErrorAlert
          key={rowOf(f.variables)}
          error={f.error}
          title={props.title(f.variables)}
          onClose={() => dismiss(f)}
        />
      ))}
    </>
  );
}
