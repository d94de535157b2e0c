// Fills and changes an Azurite blob service for the storage tests, with Microsoft's own
// Blob Storage SDK, so the requests iothub-triage signs are checked against another
// implementation's data and SAS tokens.
//
//   node blobs.js ENDPOINT container NAME
//   node blobs.js ENDPOINT upload NAME DIR          every file under DIR, named by its path
//   node blobs.js ENDPOINT many NAME PREFIX COUNT FILE   COUNT copies of FILE
//   node blobs.js ENDPOINT delete NAME BLOB
//   node blobs.js ENDPOINT sas NAME                prints a read and list SAS for an hour
//
// ENDPOINT is the path-style blob endpoint, http://127.0.0.1:PORT/devstoreaccount1.
'use strict';

const fs = require('fs');
const path = require('path');
const {
  BlobServiceClient,
  StorageSharedKeyCredential,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
} = require('@azure/storage-blob');

const ACCOUNT = 'devstoreaccount1';
const KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function files(dir, base = dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? files(full, base) : [path.relative(base, full)];
    });
}

// Runs the uploads a few at a time.
async function pool(items, width, work) {
  let next = 0;
  const workers = Array.from({ length: width }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  });
  await Promise.all(workers);
}

async function main() {
  const [endpoint, command, container, ...rest] = process.argv.slice(2);
  const credential = new StorageSharedKeyCredential(ACCOUNT, KEY);
  const service = new BlobServiceClient(endpoint, credential);
  const client = service.getContainerClient(container);
  switch (command) {
    case 'container':
      await client.create();
      break;
    case 'upload': {
      const [dir] = rest;
      await pool(files(dir), 8, async (name) => {
        const blob = name.split(path.sep).join('/');
        const body = fs.readFileSync(path.join(dir, name));
        await client.getBlockBlobClient(blob).upload(body, body.length);
      });
      break;
    }
    case 'many': {
      const [prefix, count, file] = rest;
      const body = fs.readFileSync(file);
      const names = Array.from(
        { length: Number(count) },
        (_, i) => `${prefix}/blob-${String(i).padStart(5, '0')}.json`
      );
      await pool(names, 64, (name) =>
        client.getBlockBlobClient(name).upload(body, body.length)
      );
      break;
    }
    case 'delete':
      await client.getBlobClient(rest[0]).delete();
      break;
    case 'sas': {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          permissions: ContainerSASPermissions.parse('rl'),
          startsOn: new Date(Date.now() - 5 * 60 * 1000),
          expiresOn: new Date(Date.now() + 60 * 60 * 1000),
        },
        credential
      ).toString();
      process.stdout.write(sas);
      break;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
