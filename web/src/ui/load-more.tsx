import { Button, Center } from '@mantine/core';

interface Props {
  /** A TanStack infinite query over one of the API's paged lists. */
  query: {
    hasNextPage: boolean;
    isFetchingNextPage: boolean;
    fetchNextPage: () => unknown;
  };
  /** What is being loaded, for the button's name ("Load more seats"). */
  what: string;
}

/** Every list pages with the API's cursor: this asks for the next page, while there is one. */
export function LoadMore({ query, what }: Props) {
  if (!query.hasNextPage) return null;
  return (
    <Center>
      <Button
        variant="default"
        loading={query.isFetchingNextPage}
        onClick={() => query.fetchNextPage()}
      >
        Load more {what}
      </Button>
    </Center>
  );
}
