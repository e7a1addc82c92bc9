using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Microsoft.ML.NFNet.Tests.Weights;

/// <summary>
/// A stand-in for the Hugging Face hub on 127.0.0.1 (Kestrel), answering as the hub does for an LFS file: HEAD and GET
/// on <c>/{repo}/resolve/{revision}/{file}</c> give a 302 to a "CDN" on another port of 127.0.0.1 (another authority, as
/// the hub's CDN is; not "localhost", which a minimal system may not resolve)
/// with <c>X-Repo-Commit</c>, <c>X-Linked-Etag</c> (the sha256), <c>X-Linked-Size</c> and the pointer's own
/// <c>ETag</c>; the CDN serves the bytes, with <c>Range</c> support. Faults are switched on per test.
/// </summary>
internal sealed class FakeHub : IAsyncDisposable
{
    public const string Commit = "1d5f0a8b3c2e4f6a7b8c9d0e1f2a3b4c5d6e7f80";

    /// <summary>The signature in the query of the CDN location (a secret: it must never reach a message).</summary>
    public const string Signature = "sig-secret-4f2a9c";
    private const int ChunkSize = 64 * 1024;
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, byte[]> files = new();
    private int hubPort;
    private int cdnPort;
    private int cutsLeft;
    private int failuresLeft;

    private FakeHub(WebApplication app) => this.app = app;

    /// <summary>Every request both servers saw, in order.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>The hub's base URL (what HF_ENDPOINT would hold).</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{hubPort}");

    /// <summary>When set, the hub answers every request with this status (and <see cref="ErrorCode"/> as X-Error-Code).</summary>
    public int? HubStatus { get; set; }

    public string? ErrorCode { get; set; }

    /// <summary>When set, the CDN sends these bytes instead of the file's (same length, same announced sha256).</summary>
    public byte[]? CorruptBody { get; set; }

    /// <summary>Pause after each 64 KiB the CDN sends (to make downloads overlap).</summary>
    public TimeSpan ChunkDelay { get; set; }

    /// <summary>When set, a cut connection (<see cref="CutConnections"/>) sends at most this many bytes, not half the rest.</summary>
    public int? CutAfterBytes { get; set; }

    /// <summary>
    /// When set, the CDN's Content-Range for a <c>Range</c> request from the start byte and the file's length (empty: no
    /// header); the status stays 206 and the body the requested bytes.
    /// </summary>
    public Func<long, long, string>? ContentRangeFor { get; set; }

    /// <summary>When set, the CDN answers every request with this status.</summary>
    public int? CdnStatus { get; set; }

    /// <summary>When set, the redirect's Location carries this user info (<c>user:password</c>) before the CDN's host.</summary>
    public string? CdnUserInfo { get; set; }

    /// <summary>When set, the hub announces this size (X-Linked-Size) instead of the file's.</summary>
    public long? AnnouncedSize { get; set; }

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0); // the hub
            kestrel.Listen(IPAddress.Loopback, 0); // the CDN
        });
        var hub = new FakeHub(builder.Build());
        hub.app.Run(hub.HandleAsync);
        await hub.app.StartAsync();
        var ports = hub.app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a).Port).ToArray()
            : throw new InvalidOperationException("Kestrel did not start.");
        (hub.hubPort, hub.cdnPort) = (ports[0], ports[1]);
        return hub;
    }

    /// <summary>Publishes <paramref name="content"/> as <c>{repository}/{fileName}</c>; returns its sha256 (the LFS etag).</summary>
    public string AddFile(string repository, string fileName, byte[] content)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        files[$"{repository}/{fileName}"] = content;
        files[sha] = content;
        return sha;
    }

    /// <summary>The next <paramref name="count"/> CDN responses stop after half the remaining bytes and drop the connection.</summary>
    public void CutConnections(int count) => cutsLeft = count;

    /// <summary>The next <paramref name="count"/> CDN requests get a 503.</summary>
    public void FailWith503(int count) => failuresLeft = count;

    public IEnumerable<RecordedRequest> Gets => Requests.Where(r => r.Method == "GET");

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var onHub = context.Connection.LocalPort == hubPort;
        Requests.Enqueue(new RecordedRequest(onHub ? "hub" : "cdn", request.Method, request.Host.Value ?? "", request.Path.Value ?? "",
            request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null,
            request.Headers.Range.ToString() is { Length: > 0 } range ? range : null));
        if (onHub)
            HandleHub(context);
        else
            await HandleCdnAsync(context);
    }

    private void HandleHub(HttpContext context)
    {
        var response = context.Response;
        if (HubStatus is { } status)
        {
            response.StatusCode = status;
            if (ErrorCode is not null)
                response.Headers["X-Error-Code"] = ErrorCode;
            response.Headers["X-Repo-Commit"] = Commit;
            return;
        }
        // /{owner}/{name}/resolve/{revision}/{file}
        var parts = context.Request.Path.Value!.Trim('/').Split('/', 5);
        if (parts.Length < 5 || parts[2] != "resolve" || !files.TryGetValue($"{parts[0]}/{parts[1]}/{parts[4]}", out var content))
        {
            response.StatusCode = 404;
            response.Headers["X-Error-Code"] = "EntryNotFound";
            return;
        }
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        response.StatusCode = 302;
        var userInfo = CdnUserInfo is null ? "" : CdnUserInfo + "@";
        response.Headers.Location = $"http://{userInfo}127.0.0.1:{cdnPort}/lfs/{sha}?X-Amz-Signature={Signature}&X-Amz-Expires=3600";
        response.Headers["X-Repo-Commit"] = Commit;
        response.Headers["X-Linked-Etag"] = $"\"{sha}\"";
        response.Headers["X-Linked-Size"] = (AnnouncedSize ?? content.Length).ToString();
        response.Headers.ETag = "W/\"0123456789abcdef0123456789abcdef01234567\""; // the LFS pointer's git oid
    }

    private async Task HandleCdnAsync(HttpContext context)
    {
        var response = context.Response;
        var path = context.Request.Path.Value!;
        if (!path.StartsWith("/lfs/") || !files.TryGetValue(path["/lfs/".Length..], out var content))
        {
            response.StatusCode = 404;
            return;
        }
        if (CdnStatus is { } status)
        {
            response.StatusCode = status;
            return;
        }
        if (Interlocked.Decrement(ref failuresLeft) >= 0)
        {
            response.StatusCode = 503;
            return;
        }
        var body = CorruptBody ?? content;
        var start = 0;
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range && range.StartsWith("bytes=") && range.EndsWith('-'))
        {
            start = int.Parse(range["bytes=".Length..^1]);
            response.StatusCode = 206;
            var contentRange = ContentRangeFor?.Invoke(start, body.Length) ?? $"bytes {start}-{body.Length - 1}/{body.Length}";
            if (contentRange.Length > 0)
                response.Headers.ContentRange = contentRange;
        }
        response.ContentLength = body.Length - start;
        if (HttpMethods.IsHead(context.Request.Method))
            return;
        var end = Interlocked.Decrement(ref cutsLeft) < 0 ? body.Length
            : CutAfterBytes is { } most ? Math.Min(body.Length, start + most)
            : start + (body.Length - start) / 2;
        for (var offset = start; offset < end; offset += ChunkSize)
        {
            await response.Body.WriteAsync(body.AsMemory(offset, Math.Min(ChunkSize, end - offset)));
            await response.Body.FlushAsync();
            if (ChunkDelay > TimeSpan.Zero)
                await Task.Delay(ChunkDelay);
        }
        if (end < body.Length)
        {
            await Task.Delay(100); // let the client read what was sent, then break the connection mid-file
            context.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>One request as a server saw it.</summary>
internal sealed record RecordedRequest(string Server, string Method, string Host, string Path, string? Authorization, string? Range);
