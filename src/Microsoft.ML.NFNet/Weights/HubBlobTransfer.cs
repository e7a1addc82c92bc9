using System.Net;
using System.Security.Cryptography;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Downloads one blob into <c>{blob}.incomplete</c>, resuming with a <c>Range</c> request after a broken connection
/// (also one left by an earlier, interrupted run), hashing the bytes as they arrive, and renames it to the blob's name
/// only once its size and, for LFS files, its sha256 match what the hub announced. The caller holds the blob's lock.
/// </summary>
internal sealed class HubBlobTransfer(HubHttp http, HubSettings settings, HubFileReference file, HubFileMetadata metadata)
{
    private const int BufferSize = 1 << 20;
    private const long ProgressStep = 1 << 20;

    public async Task DownloadAsync(string blobPath, CancellationToken cancellationToken)
    {
        var incomplete = blobPath + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(blobPath)!);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var output = new FileStream(incomplete, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, BufferSize,
            FileOptions.Asynchronous))
        {
            await HashExistingPartAsync(output, hash, cancellationToken).ConfigureAwait(false);
            var failures = 0;
            while (output.Length < metadata.Size)
            {
                var before = output.Length;
                try
                {
                    await TransferAsync(output, hash, cancellationToken).ConfigureAwait(false);
                }
                catch (HubDownloadException e) when (e.IsTransient)
                {
                    failures = output.Length > before ? 1 : failures + 1; // as huggingface_hub: bytes arrived, so count afresh
                    if (failures > settings.Options.MaxRetries)
                        throw new HubDownloadException(
                            $"Gave up on {file.Describe()} after {settings.Options.MaxRetries} retries: {e.Message} The " +
                            $"{output.Length:N0} bytes received are kept in {incomplete}; the next download resumes from there.",
                            e.Url, e.StatusCode, e);
                    await Task.Delay(Backoff(failures, e), cancellationToken).ConfigureAwait(false);
                }
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            output.Flush(flushToDisk: true);
            VerifyOrDelete(output, hash);
        }
        File.Move(incomplete, blobPath, overwrite: false);
    }

    /// <summary>Feeds the bytes of an earlier attempt to the hash, or discards them if they cannot belong to this file.</summary>
    private async Task HashExistingPartAsync(FileStream output, IncrementalHash hash, CancellationToken cancellationToken)
    {
        if (output.Length > metadata.Size)
            output.SetLength(0);
        var buffer = new byte[BufferSize];
        int read;
        output.Position = 0;
        while ((read = await output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            hash.AppendData(buffer, 0, read);
    }

    /// <summary>One GET from the current length to the end.</summary>
    private async Task TransferAsync(FileStream output, IncrementalHash hash, CancellationToken cancellationToken)
    {
        var start = output.Length;
        var url = HubHttp.ForMessage(metadata.Location);
        using var response = await http.SendAsync(HttpMethod.Get, metadata.Location, start, (_, _) => true, settings.ReadTimeout,
            cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                Restart(output, hash); // the partial file does not fit this resource any more: start again
                throw HubHttp.Transient($"{url} refused to resume at byte {start}; starting again.", url, status: 416);
            }
            throw HubErrors.FromResponse(response, file, settings, fromHub: http.IsHubHost(response.RequestMessage!.RequestUri!));
        }
        if (start > 0 && (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentRange?.From != start))
            Restart(output, hash); // the server ignored the Range header and sends the whole file

        using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var buffer = new byte[BufferSize];
        var reported = start - ProgressStep; // so the first bytes are reported at once
        while (true)
        {
            int read;
            idle.CancelAfter(settings.ReadTimeout);
            try
            {
                read = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw HubHttp.Transient($"No data from {url} for {settings.ReadTimeout.TotalSeconds:0.#} s at byte {output.Length}.", url, e);
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw HubHttp.Transient($"The connection to {url} broke at byte {output.Length}: {e.Message}", url, e);
            }
            if (read == 0)
                break;
            if (output.Length + read > metadata.Size)
                throw Rejected(output, $"more than the {metadata.Size:N0} bytes the hub announced", url);
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            hash.AppendData(buffer, 0, read);
            if (output.Length - reported >= ProgressStep || output.Length == metadata.Size)
            {
                reported = output.Length;
                settings.Options.Progress?.Report(new HubDownloadProgress(file.Repository, file.FileName, output.Length, metadata.Size));
            }
        }
        if (output.Length < metadata.Size)
            throw HubHttp.Transient($"The connection to {url} ended at byte {output.Length} of {metadata.Size}.", url);
    }

    private void VerifyOrDelete(FileStream output, IncrementalHash hash)
    {
        var url = HubHttp.ForMessage(metadata.Location);
        if (metadata.Sha256 is not { } expected)
            return; // a non-LFS etag is not a content hash; the size has been checked
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != expected)
            throw Rejected(output, $"content whose sha256 is {actual}, not the {expected} the hub announced (X-Linked-Etag)", url);
    }

    private HubDownloadException Rejected(FileStream output, string what, string url)
    {
        output.SetLength(0);
        var path = output.Name;
        output.Dispose();
        File.Delete(path);
        return new HubDownloadException(
            $"Rejected the download of {file.Describe()} from {url}: the server sent {what}. Nothing was kept in the cache; " +
            "try again, and if it persists the mirror or a proxy is serving a corrupt file.", url);
    }

    private static void Restart(FileStream output, IncrementalHash hash)
    {
        output.SetLength(0);
        hash.GetHashAndReset();
    }

    private TimeSpan Backoff(int failures, HubDownloadException error) => HubRetry.Delay(settings.Options, failures, error);
}
