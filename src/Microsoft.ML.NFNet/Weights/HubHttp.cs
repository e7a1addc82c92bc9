using System.Net;
using System.Net.Http.Headers;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Sends hub requests with redirects followed here rather than by <see cref="HttpClient"/>, so the token goes only to
/// the hub's own host: a redirect to any other host (the CDN that serves LFS files) is requested without it.
/// </summary>
internal sealed class HubHttp : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient client;
    private readonly HubSettings settings;

    public HubHttp(HubSettings settings)
    {
        this.settings = settings;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = settings.MetadataTimeout,
        };
        client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Sends <paramref name="method"/> to <paramref name="url"/> and returns the first response that is not a redirect to
    /// follow. <paramref name="followRedirect"/> decides which redirects to follow (the HEAD follows only those on the same
    /// host, as huggingface_hub does, so the CDN location is read from the redirect itself).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, long rangeStart, Func<Uri, Uri, bool> followRedirect,
        TimeSpan headersTimeout, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.AcceptEncoding.ParseAdd("identity"); // the real size, never a compressed body
            request.Headers.UserAgent.ParseAdd("Microsoft.ML.NFNet/1.0");
            if (settings.Token is { } token && IsHubHost(url))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (rangeStart > 0)
                request.Headers.Range = new RangeHeaderValue(rangeStart, null);

            var response = await SendOrThrowAsync(request, headersTimeout, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is < 300 or > 399 || response.Headers.Location is not { } location)
                return response;
            var target = location.IsAbsoluteUri ? location : new Uri(url, location);
            if (!followRedirect(url, target))
                return response;
            response.Dispose();
            if (hop >= MaxRedirects)
            {
                var shown = HubUrlRedaction.ForMessage(url);
                throw new HubDownloadException($"More than {MaxRedirects} redirects for {shown}.", shown, status);
            }
            url = target;
        }
    }

    /// <summary>Same scheme, host and port as the endpoint: the only place the token may go.</summary>
    public bool IsHubHost(Uri url) => SameAuthority(url, settings.Endpoint);

    public static bool SameAuthority(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private async Task<HttpResponseMessage> SendOrThrowAsync(HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var url = HubUrlRedaction.ForMessage(request.RequestUri!);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Transient($"The request to {url} got no answer within {timeout.TotalSeconds:0.#} s.", url, e);
        }
        catch (HttpRequestException e)
        {
            throw Transient($"Could not connect to {url}: {e.Message}", url, e);
        }
    }

    public static HubDownloadException Transient(string message, string url, Exception? inner = null, int? status = null) =>
        new(message, url, status, inner) { IsTransient = true };

    public void Dispose() => client.Dispose();
}
