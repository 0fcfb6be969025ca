import { Alert, Button, Code, CopyButton, Group, Text } from '@mantine/core';

/**
 * A signing secret the API answered with once (create, rotate): shown in full with a copy button,
 * until the operator dismisses it or leaves the page. Nothing keeps it: the API never shows it again.
 */
export function OneTimeSecret({ secret, title, onDismiss }: { secret: string; title: string; onDismiss: () => void }) {
  return (
    <Alert color="yellow" title={title} mb="md" data-testid="one-time-secret">
      <Text size="sm" mb="xs">
        Store this signing secret in the receiving system now: it is not shown again. A receiver checks each request with it (the{' '}
        <code>webhook-signature</code> header).
      </Text>
      <Group gap="xs" wrap="nowrap">
        <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid="webhook-secret">
          {secret}
        </Code>
        <CopyButton value={secret}>
          {({ copied, copy }) => (
            <Button size="xs" color={copied ? 'green' : 'blue'} onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Button size="xs" variant="default" mt="sm" onClick={onDismiss}>
        I have stored it
      </Button>
    </Alert>
  );
}
