import { Alert, Button, Container, Stack, Title } from '@mantine/core';
import { isRouteErrorResponse, useRouteError } from 'react-router';

/**
 * A page that failed to render or load. The usual cause after a release is a page chunk of the
 * old build that is gone: a reload fetches the new one.
 */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : 'Unknown error';
  return (
    <Container size="sm" py="xl" component="main">
      <Stack>
        <Title order={1}>Something went wrong</Title>
        <Alert color="red" title="This page could not be shown" role="alert">
          {message}
        </Alert>
        <Button onClick={() => window.location.reload()} w="fit-content">
          Reload the page
        </Button>
      </Stack>
    </Container>
  );
}
