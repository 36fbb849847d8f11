// A bare socket.io echo server (namespace /chat, ack with an id): the floor for the chat figures.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http);
let n = 0;
io.of('/chat').on('connection', (socket) => {
  socket.emit('session', { sessionToken: 'echo', messages: [] });
  socket.on('message', (_payload: unknown, ack: (r: unknown) => void) =>
    ack({ id: String(++n), caseNumber: 1 }),
  );
});
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
