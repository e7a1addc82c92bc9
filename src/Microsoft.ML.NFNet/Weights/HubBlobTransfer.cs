using System.Net;
using System.Security.Cryptography;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Downloads one blob into <c>{blob}.incomplete</c>, resuming with a <c>Range</c> request after a broken connection
/// (also one left by an earlier, interrupted run), hashing the bytes as they arrive, and renames it to the blob's name
/// only once its size and, for LFS files, its sha256 match what the hub announced. Whatever the server answers, it
/// ends: bytes are written only at the offset the answer proves they belong to, and the number of requests is bounded.
/// The caller holds the blob's lock.
/// </summary>
internal sealed class HubBlobTransfer(HubHttp http, HubSettings settings, HubFileReference file, HubFileMetadata metadata)
{
    private const int BufferSize = 1 << 20;
    private const long ProgressStep = 1 << 20;

    /// <summary>However much each answer brings, one download makes at most this many times MaxRetries + 1 requests.</summary>
    private const int RequestsPerTry = 10;

    /// <summary>False once the server answered a <c>Range</c> request with a 206 that did not prove where its bytes start.</summary>
    private bool resumeAllowed = true;

    /// <summary>The partial file holds bytes of more than one response (resumed), so foreign bytes may hide at its start.</summary>
    private bool spliced;

    public async Task DownloadAsync(string blobPath, CancellationToken cancellationToken)
    {
        var incomplete = blobPath + ".incomplete";
        var folder = Path.GetDirectoryName(blobPath)!;
        Directory.CreateDirectory(folder);
        EnsureFreeSpace(folder, incomplete);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var output = new FileStream(incomplete, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, BufferSize,
            FileOptions.Asynchronous))
        {
            await HashExistingPartAsync(output, hash, cancellationToken).ConfigureAwait(false);
            spliced = output.Length > 0;
            await ReceiveAsync(output, hash, cancellationToken).ConfigureAwait(false);
            if (!HasAnnouncedHash(hash, out var actual))
            {
                // A resumed file may start with bytes that never belonged to it (a wrong host, another version): one
                // fresh download from byte 0 tells a bad partial file from a bad server.
                if (!spliced)
                    throw Rejected(output, HashMismatch(actual));
                Restart(output, hash);
                await ReceiveAsync(output, hash, cancellationToken).ConfigureAwait(false);
                if (!HasAnnouncedHash(hash, out actual))
                    throw Rejected(output, HashMismatch(actual) + " (also when downloaded again from byte 0)");
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            output.Flush(flushToDisk: true);
        }
        File.Move(incomplete, blobPath, overwrite: false);
    }

    /// <summary>Requests until the file has its announced size, retrying transient failures within the budget.</summary>
    private async Task ReceiveAsync(FileStream output, IncrementalHash hash, CancellationToken cancellationToken)
    {
        var failures = 0;
        var requests = 0;
        var maxRequests = RequestsPerTry * (settings.Options.MaxRetries + 1);
        var furthest = output.Length;
        while (output.Length < metadata.Size)
        {
            requests++;
            try
            {
                await TransferAsync(output, hash, cancellationToken).ConfigureAwait(false);
            }
            catch (HubDownloadException e) when (e.IsTransient)
            {
                // The count starts afresh only when the file grew past the furthest point it ever reached: bytes that
                // arrive again after a restart, or a body that was discarded, are no progress.
                failures = output.Length > furthest ? 1 : failures + 1;
                furthest = Math.Max(furthest, output.Length);
                if (failures > settings.Options.MaxRetries || requests >= maxRequests)
                    throw GaveUp(e, output, requests);
                await Task.Delay(HubRetry.Delay(settings.Options, failures, e), cancellationToken).ConfigureAwait(false);
            }
        }
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

    /// <summary>One GET from the current length to the end (from byte 0 once the server's ranges proved unusable).</summary>
    private async Task TransferAsync(FileStream output, IncrementalHash hash, CancellationToken cancellationToken)
    {
        if (!resumeAllowed)
            Restart(output, hash);
        var start = output.Length;
        var url = HubUrlRedaction.ForMessage(metadata.Location);
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
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            if (!StartsAt(response, start))
            {
                // Where these bytes belong is unknown: writing them anywhere could corrupt the file, so none is kept.
                Restart(output, hash);
                resumeAllowed = false;
                throw HubHttp.Transient($"{url} answered 206 Partial Content with Content-Range '{ContentRange(response)}', which " +
                    $"does not start at the byte {start} asked for of the {metadata.Size:N0} announced; starting again from byte 0 " +
                    "without Range.", url, status: 206);
            }
            spliced |= start > 0;
        }
        else if (start > 0)
        {
            Restart(output, hash); // the server ignored the Range header and sends the whole file
        }

        using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var buffer = new byte[BufferSize];
        var reported = output.Length - ProgressStep; // so the first bytes are reported at once
        output.Position = output.Length;
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
                throw Rejected(output, $"more than the {metadata.Size:N0} bytes the hub announced");
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

    /// <summary>A 206 is usable only with a byte Content-Range that starts where asked and fits the announced size.</summary>
    private bool StartsAt(HttpResponseMessage response, long start) =>
        response.Content.Headers.ContentRange is { Unit: "bytes", HasRange: true } range
        && range.From == start && range.To < metadata.Size && (range.Length is null || range.Length == metadata.Size);

    private static string ContentRange(HttpResponseMessage response)
    {
        var value = response.Content.Headers.TryGetValues("Content-Range", out var values) ? string.Join(", ", values) : "none";
        return value.Length <= 80 ? value : value[..80] + "…";
    }

    /// <summary>True when the hub announced no sha256 (a non-LFS etag is not a content hash; the size was checked).</summary>
    private bool HasAnnouncedHash(IncrementalHash hash, out string actual)
    {
        actual = Convert.ToHexStringLower(hash.GetCurrentHash());
        return metadata.Sha256 is not { } expected || actual == expected;
    }

    private string HashMismatch(string actual) =>
        $"content whose sha256 is {actual}, not the {metadata.Sha256} the hub announced (X-Linked-Etag)";

    /// <summary>Refuses to start a download the disk cannot hold (the hub may announce any size).</summary>
    private void EnsureFreeSpace(string folder, string incomplete)
    {
        var kept = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        var needed = metadata.Size - (kept <= metadata.Size ? kept : 0);
        long free;
        try
        {
            free = new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return; // not knowable here (e.g. a network share on Windows): a full disk then fails the write
        }
        if (needed > free)
            throw HubCacheErrors.NotEnoughSpace(settings, file, folder, needed, metadata.Size, free);
    }

    private HubDownloadException GaveUp(HubDownloadException last, FileStream output, int requests)
    {
        var why = requests >= RequestsPerTry * (settings.Options.MaxRetries + 1)
            ? $"{requests} requests (the most for MaxRetries = {settings.Options.MaxRetries})"
            : $"{settings.Options.MaxRetries} retries";
        return new HubDownloadException(
            $"Gave up on {file.Describe()} after {why}: {last.Message} The {output.Length:N0} bytes received are kept in " +
            $"{output.Name}; the next download resumes from there.", last.Url, last.StatusCode, last);
    }

    private HubDownloadException Rejected(FileStream output, string what)
    {
        var url = HubUrlRedaction.ForMessage(metadata.Location);
        output.SetLength(0);
        var path = output.Name;
        output.Dispose();
        File.Delete(path);
        return new HubDownloadException(
            $"Rejected the download of {file.Describe()} from {url}: the server sent {what}. Nothing was kept in the cache; " +
            "try again, and if it persists the mirror or a proxy is serving a corrupt file.", url);
    }

    private void Restart(FileStream output, IncrementalHash hash)
    {
        output.SetLength(0);
        hash.GetHashAndReset();
        spliced = false;
    }
}
